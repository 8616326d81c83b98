"""Custom Keras layers: a linear-chain CRF, character-level word features, length-aware RNNs."""

from rnnbook.layers.char_features import CharFeatures
from rnnbook.layers.crf import CRF, crf_log_partition, crf_sequence_score, crf_viterbi_decode
from rnnbook.layers.length_aware import LengthAwareRNN, reverse_padded

__all__ = [
    "CRF",
    "CharFeatures",
    "LengthAwareRNN",
    "crf_log_partition",
    "crf_sequence_score",
    "crf_viterbi_decode",
    "reverse_padded",
]
