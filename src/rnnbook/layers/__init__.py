"""Custom Keras layers: a linear-chain CRF and character-level word features."""

from rnnbook.layers.char_features import CharFeatures
from rnnbook.layers.crf import CRF, crf_log_partition, crf_sequence_score, crf_viterbi_decode

__all__ = [
    "CRF",
    "CharFeatures",
    "crf_log_partition",
    "crf_sequence_score",
    "crf_viterbi_decode",
]
