"""The `rnnbook` command line: data commands, the main job's preflight, help."""

import pytest

from rnnbook import cli


@pytest.fixture
def empty_mirror(tmp_path, monkeypatch):
    """No cache and an empty mirror: nothing is available and nothing may be downloaded."""
    monkeypatch.setenv("RNNBOOK_DATA_DIR", str(tmp_path / "cache"))
    (tmp_path / "mirror").mkdir()
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.delenv("RNNBOOK_SAMPLES", raising=False)
    return tmp_path


def test_help_explains_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("data", "run", "exercises", "predict", "env"):
        assert command in out


def test_data_list_names_the_five_datasets(capsys):
    assert cli.main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("tinyshakespeare", "imdb", "conll2003", "spa-eng", "glove"):
        assert name in out


def test_verify_all_on_the_samples_passes_with_counts(monkeypatch, capsys):
    monkeypatch.setenv("RNNBOOK_SAMPLES", "1")
    assert cli.main(["data", "verify", "all"]) == 0
    out = capsys.readouterr().out
    assert out.count(": OK") == 5
    assert "counts:" in out


def test_verify_exits_nonzero_and_names_the_missing_file(empty_mirror, capsys):
    assert cli.main(["data", "verify", "tinyshakespeare"]) == 1
    captured = capsys.readouterr()
    assert "shakespeare.txt" in captured.out + captured.err
    assert "missing" in (captured.out + captured.err).lower()


def test_fetch_with_nothing_available_says_where_to_put_the_file(empty_mirror, capsys):
    assert cli.main(["data", "fetch", "spa-eng"]) == 1
    err = capsys.readouterr().err
    assert "spa-eng.zip" in err and str(empty_mirror / "cache") in err


def test_unknown_dataset_is_a_clear_error(capsys):
    assert cli.main(["data", "path", "mnist"]) != 0
    assert "mnist" in capsys.readouterr().err


def test_run_names_what_is_missing_and_suggests_samples(empty_mirror, capsys):
    code = cli.main(["run", "--only", "00", "--profile", "smoke", "--out", str(empty_mirror)])
    err = capsys.readouterr().err
    assert code == 2
    for name in ("tinyshakespeare", "imdb", "conll2003", "spa-eng", "glove"):
        assert f"[{name}]" in err
    assert "--samples" in err
    assert not (empty_mirror / "notebooks").exists(), "no notebook ran"
