"""Character-level word features."""

import keras
import numpy as np
import pytest

from rnnbook.layers import CharFeatures


@pytest.mark.parametrize(("encoder", "width"), [("cnn", 6), ("bilstm", 12)])
def test_char_features_shape_and_padding(encoder, width):
    keras.utils.set_random_seed(0)
    layer = CharFeatures(10, embedding_dim=4, encoder=encoder, units=6)
    chars = np.random.default_rng(0).integers(1, 10, size=(2, 3, 5))
    chars[:, :, 3:] = 0
    out = keras.ops.convert_to_numpy(layer(chars))
    assert out.shape == (2, 3, width) == (2, 3, layer.output_dim)
    wider = np.concatenate([chars, np.zeros((2, 3, 4), dtype=chars.dtype)], axis=-1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(wider)), out, atol=1e-6)


def test_char_features_rejects_unknown_encoder():
    with pytest.raises(ValueError, match="`char_encoder` must be one of"):
        CharFeatures(10, encoder="rnn")
