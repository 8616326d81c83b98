"""Many-to-one classifier."""

import keras
import numpy as np
import pytest

from rnnbook.models import ModelConfigError, build_classifier

VOCAB = 20


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def _data(n=48, length=7):
    """Label 1 iff token 3 occurs; right-padded sequences of random length."""
    rng = np.random.default_rng(0)
    x = rng.integers(4, VOCAB, size=(n, length))
    y = rng.integers(0, 2, size=n)
    x[y == 1, rng.integers(0, 3, size=int(y.sum()))] = 3
    lengths = rng.integers(3, length + 1, size=n)
    x[np.arange(length)[None, :] >= lengths[:, None]] = 0
    return x.astype("int32"), y.astype("float32")


@pytest.mark.parametrize(
    ("cell", "bidirectional", "num_classes"), [("lstm", True, 1), ("gru", False, 3)]
)
def test_classifier_trains_and_predicts(cell, bidirectional, num_classes):
    model = build_classifier(
        VOCAB,
        embedding_dim=8,
        cell=cell,
        units=8,
        num_layers=2,
        bidirectional=bidirectional,
        dropout=0.1,
        num_classes=num_classes,
    )
    loss = "binary_crossentropy" if num_classes == 1 else "sparse_categorical_crossentropy"
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss=loss)
    x, y = _data()
    losses = model.fit(x, y, epochs=6, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    probs = model.predict(x[:4], verbose=0)
    assert probs.shape == (4, num_classes)
    assert np.all((probs >= 0) & (probs <= 1))
    if num_classes > 1:
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_classifier_without_mask_has_no_mask():
    model = build_classifier(VOCAB, embedding_dim=4, cell="simple", units=3, mask=False)
    assert model.get_layer("embedding").mask_zero is False


def test_classifier_rejects_bad_arguments():
    with pytest.raises(ModelConfigError, match="`num_classes` must be a positive integer"):
        build_classifier(VOCAB, embedding_dim=4, units=3, num_classes=0)
    with pytest.raises(ModelConfigError, match="`embedding_dim` is required"):
        build_classifier(VOCAB, embedding_dim=None, units=3)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_length_aware_classifier_gives_the_masked_classifiers_numbers(bidirectional):
    kwargs = dict(embedding_dim=6, cell="gru", units=5, num_layers=2, bidirectional=bidirectional)
    masked = build_classifier(30, **kwargs)
    fast = build_classifier(30, length_aware=True, **kwargs)
    fast.set_weights(masked.get_weights())  # same weights, same order
    ids = np.array([[4, 5, 6, 7, 0, 0, 0], [9, 0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7]])
    np.testing.assert_allclose(fast.predict(ids, verbose=0), masked.predict(ids, verbose=0),
                               atol=1e-5)
    padded_more = np.pad(ids, ((0, 0), (0, 13)))
    np.testing.assert_allclose(fast.predict(padded_more, verbose=0),
                               fast.predict(ids, verbose=0), atol=1e-6)
