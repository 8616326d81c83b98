"""Each notebook's closing results: one JSON file per notebook and a summary table of them all."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rnnbook.atomic import write_text_atomic
from rnnbook.config import Profile, environment_report, seconds_since_setup
from rnnbook.paths import results_dir


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays to JSON-friendly Python values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def save_results(
    notebook: str,
    metrics: Mapping[str, Any],
    *,
    profile: Profile,
    splits: Mapping[str, str] | None = None,
    wall_time_s: float | None = None,
    directory: Path | None = None,
) -> dict[str, Any]:
    """Write ``<directory>/<notebook>.json`` atomically and return the record.

    ``metrics`` maps names (see NOTEBOOK_CONVENTIONS.md) to numbers or to ``{name: number}``;
    ``splits`` says which split each metric was measured on (shown in the table).
    ``wall_time_s`` defaults to the time since :func:`rnnbook.config.setup`.
    """
    report = environment_report(profile)
    record = {
        "notebook": notebook,
        "profile": profile.name,
        "device": report["device"],
        "backend": report["backend"],
        "samples": report["samples"],
        "wall_time_s": round(seconds_since_setup() if wall_time_s is None else wall_time_s, 1),
        "metrics": _plain(dict(metrics)),
        "splits": dict(splits or {}),
    }
    path = Path(directory or results_dir()) / f"{notebook}.json"
    write_text_atomic(path, json.dumps(record, indent=2, sort_keys=False) + "\n")
    return record


def load_results(directory: Path | None = None) -> list[dict[str, Any]]:
    """Every notebook record (``*.json`` with ``notebook`` and ``metrics``) in the folder, by name.

    Other JSON files there (``bench.json``) are not notebook results and are passed over.
    """
    folder = Path(directory or results_dir())
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not a results file ({error})") from None
        if isinstance(record, dict) and "notebook" in record and "metrics" in record:
            records.append(record)
    return records


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):  # an interval: [low, high]
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    return str(value)


def metric_rows(record: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(metric, value, split) rows; nested ``{name: value}`` metrics become ``metric[name]``."""
    splits = record.get("splits", {})
    rows = []
    for name, value in record["metrics"].items():
        split = splits.get(name, "")
        if isinstance(value, Mapping):
            rows.extend((f"{name}[{k}]", _format_value(v), split) for k, v in value.items())
        else:
            rows.append((name, _format_value(value), split))
    return rows


def _markdown_table(header: list[str], rows: Iterable[Iterable[str]]) -> str:
    rows = [list(map(str, r)) for r in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


class MarkdownTable(str):
    """Markdown text that Jupyter renders as a table and ``print`` shows as it is.

    A cell whose last expression is one displays a table (``_repr_markdown_``); IPython's plain
    text view shows the text without quotes or escapes.
    """

    def _repr_markdown_(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def markdown_table(header: list[str], rows: Iterable[Iterable[Any]]) -> MarkdownTable:
    """A table to show a learner: ``markdown_table(["model", "accuracy"], rows)``."""
    return MarkdownTable(_markdown_table(header, rows))


def results_table(record: Mapping[str, Any]) -> MarkdownTable:
    """A notebook's closing table: metric, value and split per row; then the run's profile,
    device, backend and wall time once, in one line under it."""
    table = _markdown_table(["metric", "value", "split"], metric_rows(record))
    context = (f"profile **{record['profile']}** · device {record['device']} · backend "
               f"{record['backend']} · wall time {record['wall_time_s']} s")
    if record.get("samples"):
        context += " · **sample data: the numbers mean nothing**"
    return MarkdownTable(f"{table}\n\n{context}")


def summary_table(records: Iterable[Mapping[str, Any]]) -> str:
    """One table over every notebook: its headline metrics, profile, device and wall time."""
    header = ["notebook", "profile", "device", "backend", "wall time (s)", "headline metrics"]
    rows = []
    for record in records:
        scalars = [
            f"{n}={_format_value(v)}"
            for n, v in record["metrics"].items()
            if not isinstance(v, Mapping)
        ]
        rows.append(
            [
                record["notebook"],
                record["profile"],
                record["device"],
                record["backend"],
                str(record["wall_time_s"]),
                "; ".join(scalars) or "-",
            ]
        )
    return _markdown_table(header, rows)
