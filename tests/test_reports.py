"""Generated docs: results.md from results files, benchmarks.md from bench rows."""

import json

import pytest

from rnnbook import reports


def _record(notebook, profile, device, **metrics):
    return {"notebook": notebook, "profile": profile, "device": device, "backend": "jax",
            "samples": False, "wall_time_s": 12.5, "metrics": metrics}


def test_results_table_has_one_row_per_run(tmp_path):
    (tmp_path / "gpu").mkdir()
    (tmp_path / "02_language_model.json").write_text(
        json.dumps(_record("02_language_model", "cpu", "CPU (2 cores)",
                           val_loss_nats_per_char=1.534, val_loss_by_model={"GRU": 1.6})))
    (tmp_path / "gpu" / "02_language_model.json").write_text(
        json.dumps(_record("02_language_model", "full", "NVIDIA H200", val_loss_nats_per_char=1.4,
                           bleu_signature="nrefs:4|case:mixed")))
    (tmp_path / "bench.json").write_text(json.dumps({"rows": []}))
    records = reports.load_run_records(tmp_path)
    assert len(records) == 2
    text = reports.results_markdown(records)
    assert "| 02_language_model | cpu     | CPU (2 cores) |" in text
    assert "val_loss_nats_per_char=1.534" in text
    assert "val_loss_nats_per_char=1.4" in text
    assert "val_loss_by_model" not in text  # nested metrics stay in the notebooks' own tables
    assert "bleu_signature=nrefs:4\\|case:mixed" in text  # a pipe would split the table cell


def test_results_doc_is_written_only_from_results(tmp_path):
    results, docs = tmp_path / "results", tmp_path / "docs"
    results.mkdir()
    target, count = reports.write_results_doc(results, docs)
    assert count == 0 and not target.exists()  # an empty folder leaves the old page alone
    (results / "03_imdb_sentiment.json").write_text(
        json.dumps(_record("03_imdb_sentiment", "cpu", "CPU (2 cores)", test_accuracy=0.8872)))
    target, count = reports.write_results_doc(results, docs)
    assert (target, count) == (docs / "results.md", 1)
    assert "test_accuracy=0.8872" in target.read_text()


def test_a_broken_results_file_is_named(tmp_path):
    (tmp_path / "03_imdb_sentiment.json").write_text("{not json")
    with pytest.raises(ValueError, match="03_imdb_sentiment.json: not a results file"):
        reports.load_run_records(tmp_path)


def test_bench_report_round_trip(tmp_path):
    row = {"cell": "lstm", "layers": 2, "bidirectional": True, "seq_len": 100, "batch": 64,
           "masked": True, "units": 128, "backend": "torch", "device": "CPU (2 cores)",
           "step_ms": 100.0, "tokens_per_s": 64000.0, "reference_step_ms": 50.0,
           "reference_tokens_per_s": 128000.0, "ratio": 0.5}
    reports.write_bench_report([row], tmp_path / "bench.json", tmp_path / "docs")
    assert reports.load_bench_rows(tmp_path / "bench.json") == [row]
    page = (tmp_path / "docs" / "benchmarks.md").read_text()
    assert "| torch   | lstm | 2      | bi  | 100 | 64    | mask   | 128   | 64,000" in page
    assert "0.50" in page
    assert (tmp_path / "docs" / "benchmarks.png").stat().st_size > 1000


def test_bench_file_of_the_wrong_shape_is_named(tmp_path):
    (tmp_path / "bench.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="bench.json: expected an object with a 'rows' list"):
        reports.load_bench_rows(tmp_path / "bench.json")
