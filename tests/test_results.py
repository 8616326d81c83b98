"""Results files and the summary tables built from them."""

import json

import numpy as np
import pytest

from rnnbook.config import get_profile
from rnnbook.results import load_results, metric_rows, results_table, save_results, summary_table


def test_save_results_writes_json_with_the_conventions_fields(tmp_path):
    record = save_results(
        "02_language_model",
        {"val_loss_nats_per_char": np.float32(1.5), "val_loss_by_model": {"gru": 1.5, "lstm": 1.6}},
        profile=get_profile("smoke"),
        splits={"val_loss_nats_per_char": "validation"},
        wall_time_s=12.34,
        directory=tmp_path,
    )
    on_disk = json.loads((tmp_path / "02_language_model.json").read_text())
    assert on_disk == record
    for key in ("notebook", "profile", "device", "backend", "wall_time_s", "metrics"):
        assert key in on_disk
    assert on_disk["metrics"]["val_loss_nats_per_char"] == pytest.approx(1.5)
    assert on_disk["wall_time_s"] == 12.3
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def test_tables_flatten_nested_metrics(tmp_path):
    save_results("03_imdb", {"test_accuracy": 0.9, "test_accuracy_by_model": {"gru": 0.88}},
                 profile=get_profile("cpu"), splits={"test_accuracy": "test"}, wall_time_s=5,
                 directory=tmp_path)
    [record] = load_results(tmp_path)
    assert metric_rows(record) == [("test_accuracy", "0.9", "test"),
                                   ("test_accuracy_by_model[gru]", "0.88", "")]
    table = results_table(record)
    assert table.splitlines()[0].startswith("| metric")
    assert "| test_accuracy_by_model[gru] | 0.88" in table
    summary = summary_table([record])
    assert "03_imdb" in summary and "test_accuracy=0.9" in summary
    assert "test_accuracy_by_model" not in summary


def test_intervals_are_rounded_like_the_other_values(tmp_path):
    save_results("03_imdb", {"test_accuracy_ci95": [0.5935570238784045, 0.6534939052721707]},
                 profile=get_profile("cpu"), wall_time_s=5, directory=tmp_path)
    [record] = load_results(tmp_path)
    assert metric_rows(record) == [("test_accuracy_ci95", "[0.5936, 0.6535]", "")]


def test_load_results_names_a_broken_file(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        load_results(tmp_path)


def test_results_file_gets_ordinary_permissions(tmp_path):
    import os
    import stat

    save_results("x", {"a": 1}, profile=get_profile("smoke"), wall_time_s=0, directory=tmp_path)
    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE((tmp_path / "x.json").stat().st_mode)
    assert mode == 0o666 & ~umask, oct(mode)


def test_load_results_passes_over_json_that_is_not_a_notebook_record(tmp_path):
    (tmp_path / "bench.json").write_text('{"rows": []}')
    (tmp_path / "02_language_model.json").write_text(
        '{"notebook": "02_language_model", "metrics": {"x": 1}}')
    assert [r["notebook"] for r in load_results(tmp_path)] == ["02_language_model"]


def test_results_table_renders_as_markdown_with_the_context_once(tmp_path):
    save_results("01_x", {"a": 0.5, "b": {"x": 1, "y": 2}}, profile=get_profile("smoke"),
                 wall_time_s=7, directory=tmp_path)
    [record] = load_results(tmp_path)
    table = results_table(record)
    assert table._repr_markdown_() == str(table)  # Jupyter shows a table, not `| a |` text
    lines = str(table).splitlines()
    assert lines[0].split("|")[1:4] == [" metric ", " value ", " split "]
    assert len([line for line in lines if line.startswith("| ")]) == 4  # header + 3 metrics
    assert sum("wall time 7" in line for line in lines) == 1
    assert "profile **smoke**" in lines[-1] and "sample data" not in lines[-1]
    record["samples"] = True
    assert "sample data" in str(results_table(record)).splitlines()[-1]


def test_markdown_table_prints_plain_text():
    from IPython.lib.pretty import pretty

    from rnnbook.results import markdown_table

    table = markdown_table(["model", "acc"], [["gru", "0.9"]])
    assert pretty(table) == str(table) == "| model | acc |\n|-------|-----|\n| gru   | 0.9 |"
