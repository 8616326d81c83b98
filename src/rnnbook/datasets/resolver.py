"""Find a dataset's files: local cache -> read-only mirror -> download (pooch); sha256 always.

One code path serves every dataset:

1. ``RNNBOOK_SAMPLES=1``: only the registry's ``sample`` form is used (hand-made files under
   ``datasets/samples/``); nothing else is looked at.
2. The local cache :func:`data_dir` (``<cache>/<dataset dir>/<file>``): the first form whose files
   are all there wins.
3. The mirror :func:`mirror_dir` (``<mirror>/<dataset dir>/<file>``), files used in place and
   never written.  When a mirror is set nothing touches the network: a form missing from it
   raises :class:`DatasetUnavailableError`.
4. Otherwise the first downloadable form is fetched into the cache with ``pooch.retrieve``
   (download to a temporary file, hash check, rename: atomic).

Every file is checked against the registry's sha256 before it is returned.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

with warnings.catch_warnings():
    # pooch imports tqdm.auto, which warns ("IProgress not found") in a kernel without
    # ipywidgets, as on the GPU machine; we draw no progress bars in notebooks.
    warnings.filterwarnings("ignore", message="IProgress not found")
    import pooch

from rnnbook.datasets._io import atomic_path
from rnnbook.datasets.checksums import move_aside, sha256_file
from rnnbook.datasets.errors import ChecksumError, DatasetFormatError, DatasetUnavailableError
from rnnbook.datasets.registry import (
    DatasetSpec,
    FileSpec,
    FormSpec,
    Registry,
    load_registry,
)
from rnnbook.paths import checkout_root

ENV_DATA_DIR = "RNNBOOK_DATA_DIR"
ENV_MIRROR = "RNNBOOK_DATA_MIRROR"
ENV_SAMPLES = "RNNBOOK_SAMPLES"

CACHE, MIRROR, SAMPLE = "cache", "mirror", "sample"


def data_dir() -> Path:
    """The local cache: ``$RNNBOOK_DATA_DIR``, else ``<checkout>/datasets``, else pooch's cache."""
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    if root is not None:
        return root / "datasets"
    return Path(pooch.os_cache("rnnbook"))


def mirror_dir() -> Path | None:
    """The read-only mirror named by ``$RNNBOOK_DATA_MIRROR``, or None when unset."""
    env = os.environ.get(ENV_MIRROR, "").strip()
    return Path(env).expanduser() if env else None


def samples_mode() -> bool:
    """True when ``RNNBOOK_SAMPLES`` is 1/true/yes: loaders read the hand-made samples."""
    return os.environ.get(ENV_SAMPLES, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Located:
    """Where one file of a form is (``path``/``source`` None when missing) or would go."""

    file: FileSpec
    path: Path | None
    source: str | None
    target: Path


@dataclass(frozen=True)
class Plan:
    """The form chosen for a dataset from what is on disk, without any network access."""

    spec: DatasetSpec
    form: FormSpec
    files: tuple[Located, ...]

    @property
    def complete(self) -> bool:
        """True when every file of the form was found."""
        return all(f.path is not None for f in self.files)


@dataclass(frozen=True)
class Resolved:
    """A dataset form whose files are all present and verified."""

    spec: DatasetSpec
    form: FormSpec
    paths: dict[str, Path]
    sources: dict[str, str]

    def paths_for(self, role: str) -> list[Path]:
        """Paths of the form's files with ``role``, in registry order."""
        return [self.paths[f.name] for f in self.form.by_role(role)]

    def path_for(self, role: str) -> Path:
        """The single file with ``role``."""
        paths = self.paths_for(role)
        if len(paths) != 1:
            raise DatasetFormatError(
                self.spec.name, None, f"form {self.form.name!r} should have one {role!r} file"
            )
        return paths[0]


# ----------------------------------------------------------------------------- planning


def cache_path(spec: DatasetSpec, file: FileSpec) -> Path:
    """Where ``file`` lives in the local cache."""
    return data_dir() / spec.dir / file.name


def _sample_plan(reg: Registry, spec: DatasetSpec, variant: str | None) -> Plan:
    forms = spec.forms_for(variant, samples=True)
    if not forms:
        raise DatasetUnavailableError(
            f"dataset {spec.name!r} has no sample form for variant "
            f"{variant or spec.default_variant!r}; unset {ENV_SAMPLES} to use the real data",
            dataset=spec.name,
        )
    form = forms[0]
    located = []
    for f in form.files:
        p = reg.root / (form.sample_dir or "") / f.name
        located.append(Located(f, p if p.is_file() else None, SAMPLE if p.is_file() else None, p))
    return Plan(spec, form, tuple(located))


def _locate(spec: DatasetSpec, form: FormSpec, roots: list[tuple[str, Path]]) -> Plan:
    located = []
    cache = data_dir()
    for f in form.files:
        hit: tuple[Path, str] | None = None
        for source, root in roots:
            p = root / spec.dir / f.name
            if p.is_file():
                hit = (p, source)
                break
        target = cache / spec.dir / f.name
        located.append(Located(f, hit[0] if hit else None, hit[1] if hit else None, target))
    return Plan(spec, form, tuple(located))


def plan(name: str, *, variant: str | None = None, registry: Registry | None = None) -> Plan:
    """Choose a form from local files only (samples, then cache, then mirror); no network.

    When no form is complete, the returned plan is incomplete and names the form that would be
    downloaded (the first downloadable one, else the first one).
    """
    reg = registry or load_registry()
    spec = reg.get(name)
    if samples_mode():
        return _sample_plan(reg, spec, variant)
    forms = spec.forms_for(variant)
    if not forms:
        raise DatasetUnavailableError(
            f"dataset {spec.name!r} variant {variant or spec.default_variant!r} exists only as "
            f"a sample; set {ENV_SAMPLES}=1 to use it", dataset=spec.name)
    roots = [(CACHE, data_dir())]
    for form in forms:
        p = _locate(spec, form, roots)
        if p.complete:
            return p
    mirror = mirror_dir()
    if mirror is not None:
        roots.append((MIRROR, mirror))
        for form in forms:
            p = _locate(spec, form, roots)
            if p.complete:
                return p
    fallback = next((f for f in forms if f.downloadable), forms[0])
    return _locate(spec, fallback, roots)


# ----------------------------------------------------------------------------- checking


def check_file(loc: Located, dataset: str) -> None:
    """Verify a located file's sha256; a bad cache file is moved aside; raises ChecksumError."""
    assert loc.path is not None
    actual = sha256_file(loc.path)
    if actual == loc.file.sha256:
        return
    if loc.source == CACHE:
        aside = move_aside(loc.path)
        advice = (
            f"The cached copy was renamed to {aside} so it is never used. Run again to get a "
            f"fresh copy (download, or {ENV_MIRROR}), or put a good {loc.file.name} "
            f"({loc.file.size:,} bytes) at {loc.path}."
        )
    elif loc.source == MIRROR:
        advice = (
            f"The mirror is read-only and was not changed: repair {loc.path} (see the mirror's "
            f"PROVENANCE.md), or unset {ENV_MIRROR} to use the cache/download instead."
        )
    else:
        advice = (
            "Regenerate the samples with `python datasets/samples/make_samples.py` and update "
            f"the sample sha256s of {dataset!r} in datasets/registry.toml."
        )
    raise ChecksumError(loc.path, loc.file.sha256, actual, f"Dataset {dataset!r}: {advice}")


def _checked(p: Plan) -> Resolved:
    for loc in p.files:
        check_file(loc, p.spec.name)
    return Resolved(
        p.spec,
        p.form,
        {loc.file.name: loc.path for loc in p.files if loc.path is not None},
        {loc.file.name: loc.source or CACHE for loc in p.files},
    )


# ----------------------------------------------------------------------------- resolving


def _mirror_alternatives(spec: DatasetSpec, variant: str | None) -> str:
    options = [
        " + ".join(f.name for f in form.files) for form in spec.forms_for(variant)
    ]
    return " | ".join(options)


def _mirror_lacks(p: Plan, mirror: Path, variant: str | None) -> DatasetUnavailableError:
    spec = p.spec
    if not mirror.is_dir():
        msg = (f"{ENV_MIRROR}={mirror} is not a directory, and nothing is downloaded while a "
               f"mirror is set. Fix or unset {ENV_MIRROR}.")
        return DatasetUnavailableError(msg, dataset=spec.name)
    missing = [loc for loc in p.files if loc.path is None]
    lines = "\n".join(f"  {mirror / spec.dir / loc.file.name}" for loc in missing)
    urls = sorted({u for loc in missing for u in loc.file.urls[:1]})
    msg = (
        f"Dataset {spec.name!r} (variant {variant or spec.default_variant!r}) is not in the "
        f"mirror {ENV_MIRROR}={mirror}, and nothing is downloaded while a mirror is set.\n"
        f"Missing (form {p.form.name!r}):\n{lines}\n"
        f"Any one of these file sets will do under {mirror / spec.dir}: "
        f"{_mirror_alternatives(spec, variant)}.\n"
        f"Put the files there or in the cache {data_dir() / spec.dir}, or unset {ENV_MIRROR} "
        f"to download" + (f" from {', '.join(urls)}." if urls else ".")
    )
    return DatasetUnavailableError(
        msg, dataset=spec.name, url=urls[0] if urls else None,
        file=missing[0].file.name if missing else None,
        target=missing[0].target if missing else None,
    )


def _offline(spec: DatasetSpec, loc: Located, errors: list[str], variant: str | None
             ) -> DatasetUnavailableError:
    f = loc.file
    also = (f" (or the archive {f.archive} at {loc.target.parent / f.archive}, from which "
            f"{f.member} is extracted)" if f.archive else "")
    msg = (
        f"Dataset {spec.name!r} is not available: downloading {f.archive or f.name} failed:\n"
        + "\n".join(f"  {e}" for e in errors)
        + f"\nTo work offline, put the file {f.name} ({f.size:,} bytes, sha256 {f.sha256})"
        f"{also} at\n  {loc.target}\n"
        f"or set {ENV_MIRROR} to a folder laid out as <mirror>/{spec.dir}/<file> holding one "
        f"of: {_mirror_alternatives(spec, variant)}."
    )
    return DatasetUnavailableError(
        msg, dataset=spec.name, url=f.urls[0] if f.urls else None, file=f.name, target=loc.target
    )


def _no_url(p: Plan, variant: str | None) -> DatasetUnavailableError:
    spec = p.spec
    missing = [loc for loc in p.files if loc.path is None]
    lines = "\n".join(f"  {loc.target}" for loc in missing)
    msg = (
        f"Dataset {spec.name!r} (variant {variant or spec.default_variant!r}) has no download "
        f"URL for form {p.form.name!r} and is not cached. Put the files at\n{lines}\n"
        f"or set {ENV_MIRROR} to a folder laid out as <mirror>/{spec.dir}/<file> holding one "
        f"of: {_mirror_alternatives(spec, variant)}."
    )
    return DatasetUnavailableError(
        msg, dataset=spec.name, file=missing[0].file.name if missing else None,
        target=missing[0].target if missing else None,
    )


_GOT = re.compile(r"but got ([0-9a-fA-F]{64})")


def _extract_member(archive: Path, loc: Located) -> None:
    """Extract ``loc.file.member`` from a zip to ``loc.target`` atomically, hash-checked."""
    f = loc.file
    with zipfile.ZipFile(archive) as zf, atomic_path(loc.target) as tmp:
        try:
            info = zf.getinfo(f.member or f.name)
        except KeyError:
            raise DatasetFormatError(archive, None, f"zip has no member {f.member!r}") from None
        with zf.open(info) as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        actual = sha256_file(tmp)
        if actual != f.sha256:
            aside = loc.target.with_name(loc.target.name + ".corrupt")
            os.replace(tmp, aside)
            raise ChecksumError(
                f"{archive}:{f.member}", f.sha256, actual,
                f"The extracted member was renamed to {aside} and not used. Delete {archive} "
                "and run again to download a fresh archive.",
            )


def _download(spec: DatasetSpec, loc: Located, progress: bool, variant: str | None) -> None:
    import requests  # pooch's HTTP client; imported lazily like pooch does

    f = loc.file
    errors: list[str] = []
    for url in f.urls:
        try:
            if f.archive:
                known = f"sha256:{f.archive_sha256}" if f.archive_sha256 else None
                archive = pooch.retrieve(url, known_hash=known, fname=f.archive,
                                         path=loc.target.parent, progressbar=progress)
                _extract_member(Path(archive), loc)
            else:
                pooch.retrieve(url, known_hash=f"sha256:{f.sha256}", fname=loc.target.name,
                               path=loc.target.parent, progressbar=progress)
            return
        except requests.exceptions.RequestException as exc:
            errors.append(f"{url}: {type(exc).__name__}: {exc}")
        except ValueError as exc:
            got = _GOT.search(str(exc))
            if got is None:
                raise
            expected = f.archive_sha256 if f.archive else f.sha256
            raise ChecksumError(
                url, expected or "", got.group(1).lower(),
                f"Dataset {spec.name!r}: the download of {f.archive or f.name} was deleted (never "
                f"stored under its final name). The upstream file may have changed: check "
                f"{spec.homepage or url}, or get the data via {ENV_MIRROR}.",
            ) from exc
    raise _offline(spec, loc, errors, variant)


def resolve(name: str, *, variant: str | None = None, progress: bool = True,
            registry: Registry | None = None) -> Resolved:
    """Return verified local paths of a form of ``name`` (see the module docstring for order)."""
    p = plan(name, variant=variant, registry=registry)
    if p.complete:
        return _checked(p)
    if samples_mode():
        missing = ", ".join(str(loc.target) for loc in p.files if loc.path is None)
        raise DatasetUnavailableError(
            f"sample files of {name!r} are missing: {missing}. Regenerate them with "
            "`python datasets/samples/make_samples.py`, or unset RNNBOOK_SAMPLES.",
            dataset=name,
        )
    mirror = mirror_dir()
    if mirror is not None:
        raise _mirror_lacks(p, mirror, variant)
    if not p.form.downloadable:
        raise _no_url(p, variant)
    for loc in p.files:
        if loc.path is not None:
            check_file(loc, name)
        else:
            _download(p.spec, loc, progress, variant)
    return _checked(_locate(p.spec, p.form, [(CACHE, data_dir())]))


def fetch(name: str, *, progress: bool = True, variant: str | None = None,
          registry: Registry | None = None) -> dict[str, Path]:
    """Make dataset ``name`` available locally; return {file name: verified path}."""
    return dict(resolve(name, variant=variant, progress=progress, registry=registry).paths)


def dataset_path(name: str, *, variant: str | None = None,
                 registry: Registry | None = None) -> Path:
    """The folder holding the dataset's files (samples, cache or mirror); no network, no hashing.

    When nothing is found locally this is the cache folder a download would write to.
    """
    p = plan(name, variant=variant, registry=registry)
    loc = p.files[0]
    rel_depth = len(Path(loc.file.name).parts)
    path = loc.path if loc.path is not None else loc.target
    for _ in range(rel_depth):
        path = path.parent
    return path
