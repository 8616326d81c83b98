"""Custom Keras layers: a linear-chain CRF, character-level word features, length-aware RNNs,
masked pooling over time."""

from rnnbook.layers.char_features import CharFeatures
from rnnbook.layers.crf import CRF, crf_log_partition, crf_sequence_score, crf_viterbi_decode
from rnnbook.layers.length_aware import LengthAwareRNN, reverse_padded
from rnnbook.layers.pooling import MaskedTimePooling

__all__ = [
    "CRF",
    "CharFeatures",
    "LengthAwareRNN",
    "MaskedTimePooling",
    "crf_log_partition",
    "crf_sequence_score",
    "crf_viterbi_decode",
    "reverse_padded",
]
