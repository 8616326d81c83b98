"""The dataset registry: ``datasets/registry.toml`` parsed into frozen dataclasses.

The registry lists, per dataset, its licence, citation and one or more *forms*: alternative
file sets holding the same data (the upstream archive, the read-only mirror's repack, a hand-made
sample).  Every file carries its sha256 and size; downloadable files carry their URL(s).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rnnbook.datasets.errors import DatasetError
from rnnbook.paths import checkout_root

FORM_KINDS = ("upstream", "mirror", "sample")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/rnnbook (or site-packages/rnnbook)


@dataclass(frozen=True)
class FileSpec:
    """One file of a form: name (relative to the dataset dir), sha256, size and source.

    For a file extracted from a downloaded archive, ``urls`` point at the archive ``archive``
    and ``member`` names the file inside it; ``sha256``/``size`` are those of the member.
    """

    name: str
    sha256: str
    size: int
    role: str = ""
    urls: tuple[str, ...] = ()
    archive: str | None = None
    member: str | None = None
    archive_sha256: str | None = None
    note: str = ""

    @property
    def downloadable(self) -> bool:
        """True when the file (or the archive holding it) has a URL."""
        return bool(self.urls)


@dataclass(frozen=True)
class FormSpec:
    """An alternative file set of a dataset (kind: 'upstream', 'mirror' or 'sample')."""

    name: str
    kind: str
    variant: str
    files: tuple[FileSpec, ...]
    note: str = ""
    in_mirror: bool = False
    sample_dir: str | None = None
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def downloadable(self) -> bool:
        """True when every file of the form can be downloaded."""
        return all(f.downloadable for f in self.files)

    def by_role(self, role: str) -> list[FileSpec]:
        """The form's files with the given role, in registry order."""
        return [f for f in self.files if f.role == role]


@dataclass(frozen=True)
class DatasetSpec:
    """A registry entry: metadata plus the dataset's forms (in order of preference)."""

    name: str
    title: str
    dir: str
    description: str
    homepage: str
    licence: str
    citation: str
    default_variant: str
    forms: tuple[FormSpec, ...]

    @property
    def variants(self) -> list[str]:
        """Distinct variants (e.g. '50d', '100d'), default first."""
        out = [self.default_variant]
        for f in self.forms:
            if f.variant not in out:
                out.append(f.variant)
        return out

    def forms_for(self, variant: str | None = None, *, samples: bool = False) -> list[FormSpec]:
        """Forms of ``variant`` (default variant if None); sample forms only if ``samples``."""
        v = variant or self.default_variant
        if v not in self.variants:
            raise DatasetError(
                f"dataset {self.name!r} has no variant {v!r}; choose one of {self.variants}"
            )
        return [f for f in self.forms if f.variant == v and (f.kind == "sample") == samples]

    def form(self, name: str) -> FormSpec:
        """The form called ``name``."""
        for f in self.forms:
            if f.name == name:
                return f
        raise DatasetError(f"dataset {self.name!r} has no form {name!r}")


@dataclass(frozen=True)
class Registry:
    """All dataset specs, plus ``root``: the folder of registry.toml (samples live under it)."""

    path: Path
    root: Path
    datasets: dict[str, DatasetSpec] = field(hash=False)
    mirror_layout: str = "<mirror>/<dataset dir>/<file>"

    def get(self, name: str) -> DatasetSpec:
        """The spec called ``name`` (raises DatasetError listing the known names)."""
        try:
            return self.datasets[name]
        except KeyError:
            raise DatasetError(
                f"unknown dataset {name!r}; known datasets: {', '.join(self.datasets)}"
            ) from None


# ----------------------------------------------------------------------------- locations


def default_registry_path() -> Path:
    """``<checkout>/datasets/registry.toml``, else the copy bundled in the wheel."""
    root = checkout_root()
    if root is not None:
        return root / "datasets" / "registry.toml"
    return _PACKAGE_DIR / "_bundled" / "registry.toml"


# ----------------------------------------------------------------------------- parsing


def _req(table: dict[str, Any], key: str, where: str, typ: type | tuple[type, ...]) -> Any:
    if key not in table:
        raise DatasetError(f"registry: {where} lacks required key {key!r}")
    value = table[key]
    if not isinstance(value, typ) or isinstance(value, bool) and typ is int:
        raise DatasetError(f"registry: {where}.{key} has the wrong type ({type(value).__name__})")
    return value


def _parse_file(t: dict[str, Any], where: str) -> FileSpec:
    sha = _req(t, "sha256", where, str).lower()
    if not _SHA256.match(sha):
        raise DatasetError(f"registry: {where}.sha256 is not 64 hex digits: {sha!r}")
    urls = t.get("urls", [])
    if isinstance(urls, str):
        urls = [urls]
    archive_sha = t.get("archive_sha256") or None
    return FileSpec(
        name=_req(t, "name", where, str),
        sha256=sha,
        size=_req(t, "size", where, int),
        role=t.get("role", ""),
        urls=tuple(urls),
        archive=t.get("archive"),
        member=t.get("member"),
        archive_sha256=archive_sha.lower() if archive_sha else None,
        note=t.get("note", ""),
    )


def _parse_form(t: dict[str, Any], where: str, default_variant: str) -> FormSpec:
    name = _req(t, "name", where, str)
    where = f"{where}[{name}]"
    kind = _req(t, "kind", where, str)
    if kind not in FORM_KINDS:
        raise DatasetError(f"registry: {where}.kind must be one of {FORM_KINDS}, not {kind!r}")
    files = tuple(
        _parse_file(f, f"{where}.files[{i}]") for i, f in enumerate(_req(t, "files", where, list))
    )
    if not files:
        raise DatasetError(f"registry: {where} lists no files")
    sample_dir = t.get("dir")
    if kind == "sample" and not sample_dir:
        raise DatasetError(f"registry: sample form {where} needs 'dir' (relative to registry)")
    return FormSpec(
        name=name,
        kind=kind,
        variant=t.get("variant", default_variant),
        files=files,
        note=t.get("note", ""),
        in_mirror=bool(t.get("in_mirror", False)),
        sample_dir=sample_dir,
        params=dict(t.get("params", {})),
    )


def _parse_dataset(name: str, t: dict[str, Any]) -> DatasetSpec:
    where = f"datasets.{name}"
    default_variant = t.get("default_variant", "default")
    forms = tuple(
        _parse_form(f, f"{where}.forms", default_variant) for f in _req(t, "forms", where, list)
    )
    spec = DatasetSpec(
        name=name,
        title=t.get("title", name),
        dir=t.get("dir", name),
        description=t.get("description", ""),
        homepage=t.get("homepage", ""),
        licence=_req(t, "licence", where, str),
        citation=_req(t, "citation", where, str),
        default_variant=default_variant,
        forms=forms,
    )
    if not any(f.variant == default_variant for f in forms):
        raise DatasetError(f"registry: {where} has no form of default_variant {default_variant!r}")
    return spec


def load_registry(path: str | Path | None = None) -> Registry:
    """Read and validate a registry TOML file (default: the checkout's or the bundled one)."""
    p = Path(path) if path is not None else default_registry_path()
    if path is None:
        return _load_cached(str(p))
    return _load(p)


@lru_cache(maxsize=4)
def _load_cached(path: str) -> Registry:
    return _load(Path(path))


def _load(p: Path) -> Registry:
    try:
        with p.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise DatasetError(f"dataset registry not found: {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DatasetError(f"dataset registry {p} is not valid TOML: {exc}") from exc
    datasets = raw.get("datasets")
    if not isinstance(datasets, dict) or not datasets:
        raise DatasetError(f"registry {p} has no [datasets.<name>] tables")
    parsed = {name: _parse_dataset(name, t) for name, t in datasets.items()}
    layout = raw.get("mirror", {}).get("layout", "<mirror>/<dataset dir>/<file>")
    return Registry(path=p.resolve(), root=p.resolve().parent, datasets=parsed,
                    mirror_layout=layout)


def list_datasets(registry: Registry | None = None) -> list[DatasetSpec]:
    """Every dataset in the registry, in registry order."""
    return list((registry or load_registry()).datasets.values())


def get_spec(name: str, registry: Registry | None = None) -> DatasetSpec:
    """The registry entry of dataset ``name``."""
    return (registry or load_registry()).get(name)
