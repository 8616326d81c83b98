"""The one positive-integer / rate check the library's modules share."""

import numpy as np
import pytest

from rnnbook.decoding import beam_search, sample_next
from rnnbook.layers import CRF, CharFeatures
from rnnbook.lm_data import next_token_windows
from rnnbook.models.recurrent import ModelConfigError, check_rate
from rnnbook.ngram import NGramLM
from rnnbook.validation import positive_int, rate


def test_positive_int_accepts_ints_and_numpy_ints():
    assert positive_int("n", 3) == 3
    value = positive_int("n", np.int64(5))
    assert value == 5 and type(value) is int


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "3", None])
def test_positive_int_names_the_argument(bad):
    with pytest.raises(ValueError, match=f"^`units` must be a positive integer, got {bad!r}.$"):
        positive_int("units", bad)


def test_error_class_is_kept():
    with pytest.raises(ModelConfigError, match="`dropout` must be in \\[0, 1\\), got 1.0"):
        check_rate("dropout", 1.0)


@pytest.mark.parametrize(("value", "ok"), [(0, True), (0.5, True), (np.float32(0.25), True),
                                           (1.0, False), (-0.1, False), ("0.1", False),
                                           (True, False)])
def test_rate(value, ok):
    if ok:
        assert rate("dropout", value) == pytest.approx(float(value))
    else:
        with pytest.raises(ValueError, match="`dropout` must be in"):
            rate("dropout", value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: next_token_windows(np.arange(10), seq_len=0),
        lambda: NGramLM.fit([1, 2, 3], order=0, vocab_size=5),
        lambda: sample_next(np.zeros(4), top_k=0),
        lambda: beam_search(lambda *a: None, None, [1], beam_width=0, max_len=3),
        lambda: CRF(num_tags=0),
        lambda: CharFeatures(char_vocab_size=0),
    ],
)
def test_every_module_uses_it(call):
    with pytest.raises(ValueError, match="must be a positive integer"):
        call()
