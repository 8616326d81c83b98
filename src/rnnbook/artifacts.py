"""Save and load a trained model together with its vocabularies, atomically.

A directory of artifacts holds:

- `model.keras`: the Keras 3 native archive (architecture, weights, compile state);
- `vocab_<name>.json`: one `rnnbook.text.Vocabulary` per name;
- `meta.json`: format version, backend, Keras version, vocabulary names and `extra`.

Everything is written into a temporary sibling directory first, which then replaces the
target, so a crash never leaves a half-written directory under the target name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import keras

FORMAT_VERSION = 1
MODEL_FILE = "model.keras"
META_FILE = "meta.json"
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class ArtifactError(ValueError):
    """An artifacts directory is incomplete or malformed, or the arguments cannot be saved."""


def _vocab_file(name: str) -> str:
    return f"vocab_{name}.json"


def save_artifacts(
    directory: str | os.PathLike[str],
    model: keras.Model,
    vocabularies: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write `model`, `vocabularies` (name → `Vocabulary`) and JSON `extra` to `directory`.

    An existing `directory` is replaced. Returns the directory path.

    Raises:
        ArtifactError: a vocabulary name is not `[A-Za-z0-9_-]+`, or `extra` is not JSON.
    """
    target = Path(directory)
    vocabularies = dict(vocabularies or {})
    for name in vocabularies:
        if not _NAME_RE.match(str(name)):
            raise ArtifactError(
                f"vocabulary name {name!r} must match [A-Za-z0-9_-]+ (it becomes a file name)."
            )
    meta = {
        "format_version": FORMAT_VERSION,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "model_name": model.name,
        "vocabularies": sorted(vocabularies),
        "extra": extra or {},
    }
    try:
        meta_text = json.dumps(meta, indent=2, sort_keys=True)
    except TypeError as err:
        raise ArtifactError(f"`extra` must be JSON-serialisable: {err}") from err

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        model.save(tmp / MODEL_FILE)
        for name, vocab in vocabularies.items():
            vocab.save(tmp / _vocab_file(name))
        (tmp / META_FILE).write_text(meta_text + "\n", encoding="utf-8")
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, old / "previous")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def load_artifacts(
    directory: str | os.PathLike[str], *, compile: bool = True
) -> tuple[keras.Model, dict[str, Any], dict[str, Any]]:
    """Load `(model, vocabularies, extra)` written by `save_artifacts`.

    Raises:
        FileNotFoundError: the directory, `model.keras`, `meta.json` or a vocabulary is missing.
        ArtifactError: `meta.json` is not valid JSON or has an unknown format version.
    """
    import rnnbook.layers  # noqa: F401  (registers custom layers for deserialisation)
    import rnnbook.models  # noqa: F401
    from rnnbook.text import Vocabulary

    source = Path(directory)
    for required in (source / META_FILE, source / MODEL_FILE):
        if not required.is_file():
            raise FileNotFoundError(
                f"{required} not found: expected an artifacts directory written by "
                "rnnbook.artifacts.save_artifacts (model.keras + meta.json + vocab_*.json)."
            )
    try:
        meta = json.loads((source / META_FILE).read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ArtifactError(f"{source / META_FILE}: invalid JSON ({err}).") from err
    if meta.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"{source / META_FILE}: format_version {meta.get('format_version')!r}, "
            f"expected {FORMAT_VERSION}."
        )
    vocabularies = {}
    for name in meta.get("vocabularies", []):
        path = source / _vocab_file(name)
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: meta.json lists vocabulary {name!r}.")
        vocabularies[name] = Vocabulary.load(path)
    model = keras.saving.load_model(source / MODEL_FILE, compile=compile)
    return model, vocabularies, meta.get("extra", {})


def load_model_folder(
    model_dir: str | os.PathLike[str], *, hint: str, error: type[Exception]
) -> tuple[keras.Model, dict[str, Any], dict[str, Any]]:
    """`load_artifacts(model_dir, compile=False)` with errors fit for a command line.

    Every failure raises ``error`` whose message names ``--model PATH``, says what is wrong and,
    where the folder is not what was expected, adds ``hint`` (what folder to give instead).
    """
    from rnnbook.text import VocabularyError

    path = Path(model_dir)
    if not path.is_dir():
        raise error(f"--model {path}: no such directory; {hint}")
    try:
        return load_artifacts(path, compile=False)
    except FileNotFoundError as err:
        raise error(f"--model {path}: {err}") from None
    except (ArtifactError, VocabularyError) as err:
        raise error(f"--model {path}: {err}; {hint}") from None
