"""Choosing the Keras backend when TensorFlow may be absent."""

import importlib.util
import json

import pytest

from rnnbook import backends


@pytest.fixture
def only_installed(monkeypatch, tmp_path):
    """Pretend exactly the given backend packages are installed; isolate KERAS_HOME."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    real_find_spec = importlib.util.find_spec

    def install(*names):
        def fake_find_spec(name, *args, **kwargs):
            if name in backends.BACKENDS:
                return object() if name in names else None
            return real_find_spec(name, *args, **kwargs)

        monkeypatch.setattr(backends.importlib.util, "find_spec", fake_find_spec)

    return install


def test_tensorflow_first_when_everything_is_installed(only_installed):
    only_installed("tensorflow", "jax", "torch")
    assert backends.installed_backends() == ["tensorflow", "jax", "torch"]
    assert backends.choose_backend() == "tensorflow"


def test_without_tensorflow_jax_then_torch(only_installed):
    only_installed("jax", "torch")
    assert backends.choose_backend() == "jax"
    only_installed("torch")
    assert backends.choose_backend() == "torch"


def test_the_variable_wins(only_installed, monkeypatch):
    only_installed("tensorflow", "jax", "torch")
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert backends.choose_backend() == "torch"


def test_keras_json_is_used_only_when_its_backend_is_installed(only_installed, tmp_path):
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    only_installed("jax", "torch")
    assert backends.choose_backend() == "jax"  # keras.json names an absent TensorFlow
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "torch"}))
    assert backends.choose_backend() == "torch"


def test_an_absent_backend_is_named_with_the_fix(only_installed, monkeypatch):
    only_installed("jax")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    with pytest.raises(backends.BackendError, match=r"not installed.*installed backends: jax"):
        backends.choose_backend()
    with pytest.raises(backends.BackendError, match=r"--backend='theano': expected one of"):
        backends.check_backend("theano", source="--backend")


def test_no_backend_at_all(only_installed):
    only_installed()
    with pytest.raises(backends.BackendError, match=r"no Keras backend is installed"):
        backends.choose_backend()


def test_default_is_set_only_where_keras_would_fail(only_installed, monkeypatch):
    only_installed("tensorflow", "jax")
    backends.default_backend_if_needed()
    assert "KERAS_BACKEND" not in __import__("os").environ  # Keras' own default works
    only_installed("jax", "torch")
    backends.default_backend_if_needed()
    assert __import__("os").environ["KERAS_BACKEND"] == "jax"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    backends.default_backend_if_needed()
    assert __import__("os").environ["KERAS_BACKEND"] == "torch"  # a user's choice is kept
