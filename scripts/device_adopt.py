"""Adopt what a GPU run brought back: the notebooks that finished, their results, the bench rows.

    python scripts/device_adopt.py <files_at>/workbook-run.tar.gz [--dry-run]

`scripts/device_run.sh` returns `workbook-run.tar.gz` (executed notebooks, `results/*.json`,
`bench.json`). A notebook is adopted, with its results file, only when

- its results file came back (it ran to its last cell, so it was not stopped at the deadline)
  and says it is a real run (profile `cpu` or `full`, not the sample files),
- it holds no error output, and
- neither file holds an absolute path of the device (site-packages, its checkout, /tmp).

Adopted files replace `notebooks/NN_*.ipynb` and `results/NN_*.json` atomically; the bench rows
are merged into `results/bench.json` (a row of the same shape, backend and device is replaced);
`docs/results.md`, `docs/benchmarks.md` and the student notebooks are regenerated. Everything
else is left as it was, and the script says what it left and why. Commit the result after
reading `git diff`.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

# Stricter than the tests' check of committed files: on the device the checkout, the carried
# wheels (/tmp/rnnbook-site) and the Python install are all somewhere else.
DEVICE_PATH = re.compile(
    r"(?<![\w.])/(?:work|workspace|root|home|Users|tmp|usr|opt|mnt|var|srv|data|scratch)/[\w.-]"
)


def reasons_to_leave(notebook: Path, results: Path) -> list[str]:
    """Why ``notebook`` (with its ``results`` file) must not be adopted; empty if it may be."""
    reasons = []
    if not results.is_file():
        reasons.append("no results file: it did not reach its last cell")
    else:
        record = json.loads(results.read_text(encoding="utf-8"))
        if record.get("profile") not in ("cpu", "full") or record.get("samples"):
            reasons.append(f"profile {record.get('profile')}, samples {record.get('samples')}: "
                           "only real runs at cpu or full are committed")
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    errors = [i for i, cell in enumerate(cells, 1)
              if any(out.get("output_type") == "error" for out in cell.get("outputs", []))]
    if errors:
        reasons.append(f"error output in cell(s) {errors}")
    for path in (notebook, results):
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DEVICE_PATH.search(line):
                reasons.append(f"absolute path in {path.name}, line {n}: {line.strip()[:100]}")
                break
    return reasons


def adopt(archive: Path, root: Path, *, dry_run: bool = False, log=print) -> list[str]:
    """Adopt from ``archive`` into the checkout at ``root``; return the adopted notebook stems."""
    from rnnbook import bench, reports
    from rnnbook.atomic import atomic_path

    adopted = []
    with tempfile.TemporaryDirectory(prefix="rnnbook-adopt-") as tmp:
        run = Path(tmp)
        with tarfile.open(archive) as tar:
            tar.extractall(run, filter="data")
        notebooks = sorted((run / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        if not notebooks:
            raise SystemExit(f"{archive}: no notebooks/NN_*.ipynb inside; is it a device run?")
        for notebook in notebooks:
            results = run / "results" / f"{notebook.stem}.json"
            reasons = reasons_to_leave(notebook, results)
            if reasons:
                log(f"left   {notebook.stem}: " + "; ".join(reasons))
                continue
            record = json.loads(results.read_text(encoding="utf-8"))
            log(f"adopt  {notebook.stem}: profile {record.get('profile')}, "
                f"{record.get('device')}, {record.get('backend')}, "
                f"{record.get('wall_time_s')} s")
            adopted.append(notebook.stem)
            if dry_run:
                continue
            for source, target in ((notebook, root / "notebooks" / notebook.name),
                                   (results, root / "results" / results.name)):
                with atomic_path(target) as part:
                    shutil.copyfile(source, part)
        new_rows = reports.load_bench_rows(run / "bench.json") if (run / "bench.json").is_file() \
            else []
        log(f"bench  {len(new_rows)} rows")
        if dry_run:
            return adopted
        if new_rows:
            committed = root / "results" / reports.BENCH_FILE
            old_rows = reports.load_bench_rows(committed) if committed.is_file() else []
            reports.write_bench_report(bench.merge_rows(old_rows, new_rows), committed,
                                       root / "docs")
    if adopted:
        from rnnbook.exercises import generate_student_versions

        reports.write_results_doc(root / "results", root / "docs")
        generate_student_versions(root / "notebooks", root / "notebooks" / "exercises")
    return adopted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path, help="workbook-run.tar.gz from the device run")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the checkout to adopt into (default: this one)")
    parser.add_argument("--dry-run", action="store_true", help="only say what would be adopted")
    args = parser.parse_args(argv)
    if not args.archive.is_file():
        print(f"device_adopt: {args.archive}: no such file", file=sys.stderr)
        return 2
    adopted = adopt(args.archive, args.root, dry_run=args.dry_run)
    print(f"{len(adopted)} notebook(s) adopted" + (" (dry run)" if args.dry_run else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
