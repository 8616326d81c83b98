"""Stage the smallest complete copy of datasets into a folder laid out like the mirror.

The GPU run carries its data in the working tree (64 MiB for tree, wheels and data together), so
it takes, per dataset, the smallest form whose files are all present locally (cache or mirror),
checks each file's sha256, and copies it to ``<target>/<dataset dir>/<file>``. Pointing
``RNNBOOK_DATA_MIRROR`` at ``target`` then resolves every dataset through the ordinary code path,
with the ordinary checksums.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from rnnbook.datasets._io import atomic_path
from rnnbook.datasets.errors import DatasetUnavailableError
from rnnbook.datasets.registry import load_registry
from rnnbook.datasets.resolver import CACHE, MIRROR, _locate, check_file, data_dir, mirror_dir


@dataclass(frozen=True)
class StagedFile:
    """One file copied: which dataset and form it serves, where it went, its size."""

    dataset: str
    form: str
    path: Path
    size: int


def stage_datasets(names: list[str], target: Path) -> list[StagedFile]:
    """Copy the smallest complete local form of each dataset (default variant) into ``target``."""
    registry = load_registry()
    roots = [(CACHE, data_dir())]
    mirror = mirror_dir()
    if mirror is not None:
        roots.append((MIRROR, mirror))
    staged = []
    for name in names:
        spec = registry.get(name)
        plans = [_locate(spec, form, roots) for form in spec.forms_for(None)]
        complete = [p for p in plans if p.complete]
        if not complete:
            raise DatasetUnavailableError(
                f"dataset {name!r}: no form is complete in the cache or the mirror; fetch it "
                "first (`rnnbook data fetch NAME`) or set RNNBOOK_DATA_MIRROR",
                dataset=name,
            )
        smallest = min(complete, key=lambda p: sum(f.file.size for f in p.files))
        for loc in smallest.files:
            check_file(loc, name)
            destination = target / spec.dir / loc.file.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(destination) as tmp:
                shutil.copyfile(loc.path, tmp)
            staged.append(StagedFile(name, smallest.form.name, destination, loc.file.size))
    return staged
