"""Profiles, seeding and the environment report."""

import numpy as np
import pytest

from rnnbook import config


def test_pick_returns_the_value_of_the_active_profile(monkeypatch):
    monkeypatch.setenv("RNNBOOK_PROFILE", "smoke")
    profile = config.active_profile()
    assert profile.name == "smoke"
    assert profile.pick(smoke=1, cpu=8, full=30) == 1
    assert config.get_profile("full").pick(smoke=1, cpu=8, full=30) == 30


def test_unknown_profile_names_the_variable_and_the_choices(monkeypatch):
    monkeypatch.setenv("RNNBOOK_PROFILE", "huge")
    with pytest.raises(ValueError, match=r"'huge'.*RNNBOOK_PROFILE.*smoke, cpu, full"):
        config.active_profile()


def test_default_profile_is_cpu_without_a_gpu(monkeypatch):
    monkeypatch.delenv("RNNBOOK_PROFILE", raising=False)
    monkeypatch.setattr(config, "gpu_name", lambda: None)
    assert config.active_profile().name == "cpu"
    monkeypatch.setattr(config, "gpu_name", lambda: "NVIDIA H100")
    assert config.active_profile().name == "full"


def test_set_seed_makes_numpy_and_keras_repeatable():
    import keras

    config.set_seed(7)
    a = (
        np.random.rand(3),  # noqa: NPY002 - the legacy global generator is what set_seed seeds
        keras.ops.convert_to_numpy(keras.random.uniform((3,))),
    )
    config.set_seed(7)
    b = (
        np.random.rand(3),  # noqa: NPY002
        keras.ops.convert_to_numpy(keras.random.uniform((3,))),
    )
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_setup_prints_one_report_line_and_starts_the_clock(monkeypatch, capsys):
    monkeypatch.setenv("RNNBOOK_PROFILE", "smoke")
    monkeypatch.delenv("RNNBOOK_PRECISION", raising=False)
    profile = config.setup(seed=1)
    line = capsys.readouterr().out.strip()
    assert profile.name == "smoke"
    assert line.count("\n") == 0
    for part in ("profile smoke", "backend ", "keras ", "device "):
        assert part in line
    assert config.seconds_since_setup() >= 0.0


@pytest.fixture
def restore_policy():
    import keras

    previous = keras.mixed_precision.global_policy().name
    yield
    keras.mixed_precision.set_global_policy(previous)


def test_setup_applies_the_precision_policy_and_says_so(monkeypatch, capsys, restore_policy):
    import keras

    monkeypatch.setenv("RNNBOOK_PROFILE", "smoke")
    monkeypatch.setenv("RNNBOOK_PRECISION", "mixed_float16")
    config.setup(seed=1)
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    assert "precision mixed_float16" in capsys.readouterr().out
    monkeypatch.delenv("RNNBOOK_PRECISION")
    assert config.apply_precision() == "float32"
    assert keras.mixed_precision.global_policy().name == "float32"


def test_unknown_precision_names_the_variable(monkeypatch, restore_policy):
    monkeypatch.setenv("RNNBOOK_PRECISION", "half")
    with pytest.raises(ValueError, match="RNNBOOK_PRECISION='half'"):
        config.apply_precision()


def test_float32_means_float32_matrix_products_on_every_backend(monkeypatch, restore_policy):
    """On a GPU, JAX and cuDNN round float32 products to TF32 unless told otherwise (seen on an
    H200: 1e-4 differences that failed the notebooks' checks)."""
    import keras

    monkeypatch.delenv("RNNBOOK_PRECISION", raising=False)
    config.apply_precision()
    if keras.backend.backend() == "jax":
        import jax

        assert jax.config.jax_default_matmul_precision == "highest"
        monkeypatch.setenv("RNNBOOK_PRECISION", "mixed_float16")
        config.apply_precision()
        assert jax.config.jax_default_matmul_precision == "default"
    elif keras.backend.backend() == "torch":
        import torch

        assert not torch.backends.cuda.matmul.allow_tf32
        assert not torch.backends.cudnn.allow_tf32
        monkeypatch.setenv("RNNBOOK_PRECISION", "mixed_float16")
        config.apply_precision()
        assert torch.backends.cudnn.allow_tf32  # PyTorch's defaults again
        assert not torch.backends.cuda.matmul.allow_tf32
    else:
        pytest.skip("TensorFlow's own TF32 switch is left as it is (no GPU run uses TensorFlow)")
