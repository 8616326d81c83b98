"""``verify(name)``: check a dataset's local files and count its records (never downloads)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rnnbook.datasets import conll, glove, imdb, shakespeare, spa_eng
from rnnbook.datasets.errors import ChecksumError, DatasetError
from rnnbook.datasets.registry import Registry, load_registry
from rnnbook.datasets.resolver import (
    ENV_MIRROR,
    Resolved,
    check_file,
    data_dir,
    mirror_dir,
    plan,
    samples_mode,
)

COUNTERS: dict[str, Callable[[Resolved], dict[str, Any]]] = {
    shakespeare.NAME: shakespeare.count_records,
    imdb.NAME: imdb.count_records,
    conll.NAME: conll.count_records,
    spa_eng.NAME: spa_eng.count_records,
    glove.NAME: glove.count_records,
}


def shown_path(path: Path | None) -> str:
    """``path`` as ``<mirror>/...`` or ``<cache>/...`` when it lies there, else as given.

    Reports end up in committed notebook outputs, which must not hold this machine's paths.
    """
    if path is None:
        return "-"
    for label, root in (("mirror", mirror_dir()), ("cache", data_dir())):
        if root is None:
            continue
        try:
            relative = Path(path).resolve().relative_to(Path(root).resolve())
        except ValueError:
            continue
        return f"<{label}>/{relative.as_posix()}"
    return str(path)


@dataclass(frozen=True)
class FileStatus:
    """One file's check: ``status`` is 'ok', 'missing' or 'bad'; ``source`` cache/mirror/sample."""

    name: str
    path: Path
    source: str | None
    size: int | None
    expected_size: int
    status: str
    expected_sha256: str
    actual_sha256: str | None = None
    note: str = ""


@dataclass(frozen=True)
class VerifyReport:
    """The result of :func:`verify`: per-file status, record counts and problems found."""

    name: str
    title: str
    form: str
    variant: str
    files: list[FileStatus]
    counts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file is present with the right sha256 and parsing succeeded."""
        return not self.problems and all(f.status == "ok" for f in self.files)

    def format(self) -> str:
        """A readable multi-line block for this dataset."""
        head = (f"{self.name} ({self.title}) - form {self.form!r}, variant {self.variant!r}: "
                f"{'OK' if self.ok else 'NOT OK'}")
        lines = [head]
        for f in self.files:
            size = f"{f.size:>13,} B" if f.size is not None else f"{'-':>15}"
            lines.append(f"  {f.status:<7} {f.source or '-':<6} {size}  {shown_path(f.path)}")
            if f.note:
                lines.append(f"          {f.note}")
        if self.counts:
            counts = ", ".join(
                f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}" for k, v in self.counts.items()
            )
            lines.append(f"  counts: {counts}")
        lines += [f"  problem: {p}" for p in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def verify(name: str, *, variant: str | None = None, counts: bool = True,
           registry: Registry | None = None) -> VerifyReport:
    """Check the files of ``name`` that are on disk (samples, cache or mirror) and count records.

    Nothing is downloaded. A cache file with a wrong sha256 is renamed to ``<name>.corrupt``
    (as :func:`fetch` would do) and reported 'bad'. Counts are computed when all files are ok.
    """
    reg = registry or load_registry()
    p = plan(name, variant=variant, registry=reg)
    statuses: list[FileStatus] = []
    problems: list[str] = []
    for loc in p.files:
        f = loc.file
        if loc.path is None:
            where = f"cache {loc.target}"
            mirror = mirror_dir()
            if mirror is not None and not samples_mode():
                where += f" or mirror {mirror / p.spec.dir / f.name}"
            statuses.append(FileStatus(f.name, loc.target, None, None, f.size, "missing",
                                       f.sha256, note=f"not found in {where}"))
            continue
        size = loc.path.stat().st_size
        try:
            check_file(loc, name)
            statuses.append(FileStatus(f.name, loc.path, loc.source, size, f.size, "ok",
                                       f.sha256, f.sha256))
        except ChecksumError as exc:
            aside = "" if loc.path.exists() else f" (renamed to {loc.path.name}.corrupt)"
            statuses.append(FileStatus(f.name, loc.path, loc.source, size, f.size, "bad",
                                       f.sha256, exc.actual, note=f"sha256 mismatch{aside}"))
    if any(s.status == "missing" for s in statuses):
        hint = "run `rnnbook data fetch " + name + "`"
        problems.append(f"files missing: {hint} or set {ENV_MIRROR}")
    if any(s.status == "bad" for s in statuses):
        problems.append("files with a wrong sha256 (see above)")
    found: dict[str, Any] = {}
    counter = COUNTERS.get(name)
    if counts and counter is not None and not problems:
        res = Resolved(p.spec, p.form,
                       {loc.file.name: loc.path for loc in p.files if loc.path is not None},
                       {loc.file.name: loc.source or "" for loc in p.files})
        try:
            found = counter(res)
        except DatasetError as exc:
            problems.append(f"parse error: {exc}")
    return VerifyReport(name=name, title=p.spec.title, form=p.form.name, variant=p.form.variant,
                        files=statuses, counts=found, problems=problems)

