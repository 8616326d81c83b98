"""Registry, resolver (cache -> mirror -> download), checksums, verify and the loaders' plumbing.

Every test uses a temporary registry and temporary cache/mirror folders; the network is never
used (downloads go to a local HTTP server on 127.0.0.1, or pooch.retrieve is monkeypatched).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import socket
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pooch
import pytest
import requests

import rnnbook.datasets as ds
import rnnbook.paths
from rnnbook.datasets import (
    ChecksumError,
    DatasetError,
    DatasetUnavailableError,
    load_registry,
)
from rnnbook.datasets._io import atomic_path
from rnnbook.datasets.checksums import sha256_file

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"
REPO = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- helpers


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def write_registry(path: Path, datasets: dict[str, dict]) -> ds.Registry:
    """Write a registry TOML from {name: {"dir":..., "forms": [{..., "files": [{...}]}]}}.

    A file given as {"name":..., "data": bytes} gets its sha256 and size from ``data``.
    """
    lines = ["schema_version = 1", ""]
    for name, d in datasets.items():
        lines += [f'[datasets."{name}"]', f"dir = {toml_value(d.get('dir', name))}",
                  'licence = "test licence"', 'citation = "test citation"']
        if "default_variant" in d:
            lines.append(f"default_variant = {toml_value(d['default_variant'])}")
        for form in d["forms"]:
            lines += ["", f'[[datasets."{name}".forms]]']
            lines += [f"{k} = {toml_value(v)}" for k, v in form.items() if k != "files"]
            for f in form["files"]:
                f = dict(f)
                if "data" in f:
                    data = f.pop("data")
                    f.setdefault("sha256", sha(data))
                    f.setdefault("size", len(data))
                lines += ["", f'[[datasets."{name}".forms.files]]']
                lines += [f"{k} = {toml_value(v)}" for k, v in f.items()]
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return load_registry(path)


A = b"alpha data\n"
B = b"beta data\n"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Empty cache + mirror folders, samples mode off, hash memo cleared."""
    cache, mirror = tmp_path / "cache", tmp_path / "mirror"
    cache.mkdir()
    mirror.mkdir()
    monkeypatch.setenv("RNNBOOK_DATA_DIR", str(cache))
    monkeypatch.delenv("RNNBOOK_DATA_MIRROR", raising=False)
    monkeypatch.delenv("RNNBOOK_SAMPLES", raising=False)
    ds.checksums.clear_memo()
    return cache, mirror


@pytest.fixture
def toy(tmp_path):
    """A registry with dataset 'toy' (two files, downloadable) and 'nourl' (mirror-only)."""
    url = "https://example.invalid/toy"
    return write_registry(tmp_path / "reg" / "registry.toml", {
        "toy": {"dir": "toydir", "forms": [{"name": "up", "kind": "upstream", "files": [
            {"name": "a.txt", "role": "a", "data": A, "urls": [f"{url}/a.txt"]},
            {"name": "sub/b.txt", "role": "b", "data": B, "urls": [f"{url}/b.txt"]},
        ]}]},
        "nourl": {"forms": [{"name": "m", "kind": "mirror", "files": [
            {"name": "a.txt", "data": A}]}]},
    })


def put(root: Path, rel: str, data: bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


@pytest.fixture
def no_network(monkeypatch):
    """Any download or socket use fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")
    monkeypatch.setattr(pooch, "retrieve", refuse)
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def http_root(tmp_path, monkeypatch):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www; yields (folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


# ----------------------------------------------------------------------------- registry


def test_real_registry_lists_the_five_datasets():
    reg = load_registry()
    assert [s.name for s in ds.list_datasets()] == [
        "tinyshakespeare", "imdb", "conll2003", "spa-eng", "glove"]
    assert reg.path == REPO / "datasets" / "registry.toml"
    for spec in reg.datasets.values():
        assert spec.licence and spec.citation and spec.dir
        assert any(f.kind == "sample" for f in spec.forms), spec.name
        assert any(f.in_mirror for f in spec.forms), spec.name
        for form in spec.forms:
            for f in form.files:
                assert len(f.sha256) == 64 and f.size > 0
            if form.kind == "upstream":
                assert form.downloadable, (spec.name, form.name)
    assert ds.get_spec("glove").variants == ["50d", "100d"]
    imdb_up = ds.get_spec("imdb").form("aclImdb_v1").files[0]
    assert imdb_up.size == 84_125_825
    assert imdb_up.urls == ("http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",)


def test_get_spec_unknown_name_lists_known(toy):
    with pytest.raises(DatasetError, match="known datasets: toy, nourl"):
        ds.get_spec("nope", registry=toy)
    with pytest.raises(DatasetError, match="no variant '3d'"):
        toy.get("toy").forms_for("3d")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x = 1", "no \\[datasets"),
        ("[datasets.a]\nlicence='l'\ncitation='c'\n[[datasets.a.forms]]\nname='f'\nkind='up'\n"
         "files=[]", "kind must be one of"),
        ("[datasets.a]\ncitation='c'\nforms=[]", "lacks required key 'licence'"),
        ("[datasets.a]\nlicence='l'\ncitation='c'\n[[datasets.a.forms]]\nname='f'\n"
         "kind='mirror'\n[[datasets.a.forms.files]]\nname='x'\nsize=1\nsha256='abc'",
         "not 64 hex digits"),
        ("[datasets.a\n", "not valid TOML"),
    ],
)
def test_malformed_registry_is_rejected(tmp_path, text, expected):
    path = tmp_path / "registry.toml"
    path.write_text(text)
    with pytest.raises(DatasetError, match=expected):
        load_registry(path)


def test_environment_helpers(monkeypatch, tmp_path):
    monkeypatch.delenv("RNNBOOK_DATA_DIR", raising=False)
    assert ds.data_dir() == REPO / "datasets"
    monkeypatch.setenv("RNNBOOK_DATA_DIR", str(tmp_path))
    assert ds.data_dir() == tmp_path
    monkeypatch.delenv("RNNBOOK_DATA_MIRROR", raising=False)
    assert ds.mirror_dir() is None
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(tmp_path))
    assert ds.mirror_dir() == tmp_path
    for value, expected in (("1", True), ("true", True), ("0", False), ("", False)):
        monkeypatch.setenv("RNNBOOK_SAMPLES", value)
        assert ds.samples_mode() is expected


def test_installed_wheel_falls_back_to_bundled_registry_and_pooch_cache(monkeypatch):
    monkeypatch.setattr(ds.registry, "checkout_root", lambda: None)
    monkeypatch.setattr(ds.resolver, "checkout_root", lambda: None)
    monkeypatch.delenv("RNNBOOK_DATA_DIR", raising=False)
    assert ds.data_dir() == Path(pooch.os_cache("rnnbook"))
    package = Path(ds.registry.__file__).resolve().parents[1]
    assert ds.registry.default_registry_path() == package / "_bundled" / "registry.toml"


def test_one_checkout_root_for_data_results_and_registry(monkeypatch):
    monkeypatch.delenv("RNNBOOK_DATA_DIR", raising=False)
    monkeypatch.delenv("RNNBOOK_RESULTS_DIR", raising=False)
    root = rnnbook.paths.checkout_root()
    assert root is not None and (root / "pyproject.toml").is_file()
    assert ds.registry.default_registry_path() == root / "datasets" / "registry.toml"
    assert ds.data_dir() == root / "datasets"
    assert rnnbook.paths.results_dir() == root / "build" / "results"  # hand runs
    assert rnnbook.paths.committed_results_dir() == root / "results"


# ----------------------------------------------------------------------------- resolution order


def test_cache_beats_mirror(env, toy, no_network, monkeypatch):
    cache, mirror = env
    put(cache, "toydir/a.txt", A)
    put(cache, "toydir/sub/b.txt", B)
    put(mirror, "toydir/a.txt", A)
    put(mirror, "toydir/sub/b.txt", B)
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(mirror))
    paths = ds.fetch("toy", registry=toy)
    assert paths == {"a.txt": cache / "toydir/a.txt", "sub/b.txt": cache / "toydir/sub/b.txt"}
    assert ds.dataset_path("toy", registry=toy) == cache / "toydir"


def test_mirror_files_are_used_in_place_never_copied(env, toy, no_network, monkeypatch):
    cache, mirror = env
    put(mirror, "toydir/a.txt", A)
    put(mirror, "toydir/sub/b.txt", B)
    before = {p: p.stat().st_mtime_ns for p in mirror.rglob("*")}
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(mirror))
    paths = ds.fetch("toy", registry=toy)
    assert paths["a.txt"] == mirror / "toydir/a.txt"
    assert ds.dataset_path("toy", registry=toy) == mirror / "toydir"
    assert list(cache.rglob("*")) == []
    assert {p: p.stat().st_mtime_ns for p in mirror.rglob("*")} == before


def test_mirror_and_cache_can_share_a_form(env, toy, no_network, monkeypatch):
    cache, mirror = env
    put(cache, "toydir/a.txt", A)
    put(mirror, "toydir/sub/b.txt", B)
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(mirror))
    res = ds.resolver.resolve("toy", registry=toy)
    assert res.sources == {"a.txt": "cache", "sub/b.txt": "mirror"}


def test_mirror_lacking_a_form_never_downloads(env, toy, no_network, monkeypatch):
    cache, mirror = env
    put(mirror, "toydir/a.txt", A)
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(mirror))
    with pytest.raises(DatasetUnavailableError) as exc:
        ds.fetch("toy", registry=toy)
    msg = str(exc.value)
    assert "nothing is downloaded while a mirror is set" in msg
    assert str(mirror / "toydir/sub/b.txt") in msg
    assert exc.value.dataset == "toy" and exc.value.file == "sub/b.txt"


def test_mirror_that_is_not_a_directory(env, toy, no_network, monkeypatch, tmp_path):
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetUnavailableError, match="is not a directory"):
        ds.fetch("toy", registry=toy)


def test_offline_with_nothing_cached_gives_one_clear_message(env, toy, monkeypatch):
    cache, _ = env
    calls = []

    def offline(url, **kwargs):
        calls.append(url)
        raise requests.exceptions.ConnectionError("Failed to resolve 'example.invalid'")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(DatasetUnavailableError) as exc:
        ds.fetch("toy", registry=toy, progress=False)
    msg = str(exc.value)
    assert "'toy'" in msg
    assert "https://example.invalid/toy/a.txt" in msg
    assert "a.txt" in msg and str(cache / "toydir" / "a.txt") in msg
    assert "or set RNNBOOK_DATA_MIRROR" in msg
    assert "ConnectionError" in msg
    assert calls == ["https://example.invalid/toy/a.txt"]
    assert exc.value.url == calls[0] and exc.value.target == cache / "toydir" / "a.txt"


def test_form_without_url_and_no_mirror(env, toy, no_network):
    cache, _ = env
    with pytest.raises(DatasetUnavailableError) as exc:
        ds.fetch("nourl", registry=toy)
    assert "no download URL" in str(exc.value) and "RNNBOOK_DATA_MIRROR" in str(exc.value)
    assert str(cache / "nourl" / "a.txt") in str(exc.value)


def test_forms_in_order_and_variants(env, tmp_path, no_network, monkeypatch):
    cache, mirror = env
    def form(name: str, variant: str, file: str, data: bytes) -> dict:
        return {"name": name, "kind": "mirror", "variant": variant,
                "files": [{"name": file, "data": data}]}

    reg = write_registry(tmp_path / "r.toml", {"d": {"default_variant": "small", "forms": [
        form("first", "small", "1", A), form("second", "small", "2", B), form("big", "big", "3", B),
    ]}})
    put(mirror, "d/1", A)
    put(mirror, "d/3", B)
    put(cache, "d/2", B)
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(mirror))
    # the cache is looked at first, over all forms of the variant
    assert ds.resolver.resolve("d", registry=reg).form.name == "second"
    (cache / "d/2").unlink()
    assert ds.resolver.resolve("d", registry=reg).form.name == "first"
    assert ds.fetch("d", variant="big", registry=reg) == {"3": mirror / "d/3"}


# ----------------------------------------------------------------------------- checksums


def test_bad_cache_file_is_renamed_aside(env, toy, no_network, monkeypatch):
    cache, mirror = env
    bad = put(cache, "toydir/a.txt", b"tampered\n")
    put(cache, "toydir/sub/b.txt", B)
    with pytest.raises(ChecksumError) as exc:
        ds.fetch("toy", registry=toy)
    err = exc.value
    assert err.file == str(bad)
    assert err.expected == sha(A) and err.actual == sha(b"tampered\n")
    msg = str(err)
    assert str(bad) in msg and sha(A) in msg and sha(b"tampered\n") in msg
    assert "renamed to" in msg and "Run again" in msg
    assert not bad.exists()
    assert (cache / "toydir" / "a.txt.corrupt").read_bytes() == b"tampered\n"
    # next call: the bad file is out of the way, so the mirror is used
    put(mirror, "toydir/a.txt", A)
    put(mirror, "toydir/sub/b.txt", B)
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(mirror))
    assert ds.fetch("toy", registry=toy)["a.txt"] == mirror / "toydir/a.txt"


def test_bad_mirror_file_raises_and_is_left_alone(env, toy, no_network, monkeypatch):
    _, mirror = env
    bad = put(mirror, "toydir/a.txt", b"tampered\n")
    put(mirror, "toydir/sub/b.txt", B)
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(mirror))
    with pytest.raises(ChecksumError, match="mirror is read-only") as exc:
        ds.fetch("toy", registry=toy)
    assert exc.value.file == str(bad)
    assert bad.read_bytes() == b"tampered\n"
    assert not (mirror / "toydir" / "a.txt.corrupt").exists()


def test_hash_memo_notices_changed_files(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(A)
    assert sha256_file(p) == sha(A)
    p.write_bytes(A + B)  # size changes, so the memo entry no longer applies
    assert sha256_file(p) == sha(A + B)


# ----------------------------------------------------------------------------- downloads


def test_download_with_pooch_is_verified_and_atomic(env, tmp_path, http_root):
    cache, _ = env
    www, base = http_root
    (www / "a.txt").write_bytes(A)
    (www / "b.txt").write_bytes(b"not what the registry pins\n")
    reg = write_registry(tmp_path / "r.toml", {
        "good": {"forms": [{"name": "u", "kind": "upstream", "files": [
            {"name": "a.txt", "data": A, "urls": [f"{base}/missing.txt", f"{base}/a.txt"]}]}]},
        "bad": {"forms": [{"name": "u", "kind": "upstream", "files": [
            {"name": "b.txt", "data": B, "urls": [f"{base}/b.txt"]}]}]},
    })
    # the first URL gives 404 (a requests error), the second one works
    assert ds.fetch("good", registry=reg, progress=False) == {"a.txt": cache / "good/a.txt"}
    assert (cache / "good/a.txt").read_bytes() == A
    with pytest.raises(ChecksumError) as exc:
        ds.fetch("bad", registry=reg, progress=False)
    assert exc.value.expected == sha(B)
    assert exc.value.actual == sha(b"not what the registry pins\n")
    assert f"{base}/b.txt" in str(exc.value)
    assert list((cache / "bad").iterdir()) == []  # nothing half-written or unverified left


def test_archive_member_is_extracted_and_checked(env, tmp_path, http_root):
    cache, _ = env
    www, base = http_root
    member = (FIXTURES / "glove_5d.txt").read_bytes()
    with zipfile.ZipFile(www / "vectors.zip", "w") as zf:
        zf.writestr("vec.5d.txt", member)
        zf.writestr("vec.2d.txt", b"the 1 2\n")

    def spec(name: str, member_name: str, data: bytes) -> dict:
        return {"dir": "v", "default_variant": "5d", "forms": [{
            "name": "u", "kind": "upstream", "variant": "5d", "params": {"dim": 5}, "files": [{
                "name": name, "role": "vectors", "data": data, "archive": "vectors.zip",
                "member": member_name, "urls": [f"{base}/vectors.zip"]}]}]}

    reg = write_registry(tmp_path / "r.toml", {
        "glove": spec("vec.5d.txt", "vec.5d.txt", member),
        "wrong": spec("vec.2d.txt", "vec.2d.txt", b"something else\n"),
    })
    paths = ds.fetch("glove", registry=reg, progress=False)
    assert paths == {"vec.5d.txt": cache / "v/vec.5d.txt"}
    assert paths["vec.5d.txt"].read_bytes() == member
    assert (cache / "v/vectors.zip").is_file()  # kept for the other members
    words, vectors = ds.load_glove_vectors(dim=5, registry=reg)
    assert words[0] == "the" and vectors.shape == (5, 5)
    with pytest.raises(ChecksumError, match="renamed to"):
        ds.fetch("wrong", registry=reg, progress=False)
    assert not (cache / "v/vec.2d.txt").exists()
    assert (cache / "v/vec.2d.txt.corrupt").read_bytes() == b"the 1 2\n"
    assert not [p for p in (cache / "v").iterdir() if p.name.endswith(".tmp")]


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out" / "file.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise RuntimeError("crash while writing")
    assert not target.exists() and list(target.parent.iterdir()) == []
    target.write_text("old")
    with atomic_path(target) as tmp:
        tmp.write_text("new")
        assert target.read_text() == "old"  # not visible until the block succeeds
    assert target.read_text() == "new" and list(target.parent.iterdir()) == [target]


# ----------------------------------------------------------------------------- verify


def test_verify_reports_without_downloading(env, toy, no_network, monkeypatch):
    cache, mirror = env
    put(cache, "toydir/a.txt", A)
    monkeypatch.setenv("RNNBOOK_DATA_MIRROR", str(mirror))
    report = ds.verify("toy", registry=toy)
    assert not report.ok
    assert [(f.name, f.status, f.source) for f in report.files] == [
        ("a.txt", "ok", "cache"), ("sub/b.txt", "missing", None)]
    assert report.files[0].size == len(A)
    text = report.format()
    assert text.startswith("toy (toy) - form 'up'") and "NOT OK" in text
    assert "missing" in text and "<cache>/toydir/a.txt" in text and str(report) == text
    ok_line = next(line for line in text.splitlines() if line.strip().startswith("ok"))
    assert str(cache) not in ok_line  # found files are shown relative to the cache or mirror


def test_verify_flags_bad_cache_file_and_passes_good_data(env, toy, no_network):
    cache, _ = env
    put(cache, "toydir/a.txt", A)
    put(cache, "toydir/sub/b.txt", b"bad")
    report = ds.verify("toy", registry=toy)
    assert [f.status for f in report.files] == ["ok", "bad"]
    assert report.files[1].actual_sha256 == sha(b"bad") and "renamed" in report.files[1].note
    assert (cache / "toydir/sub/b.txt.corrupt").exists()
    put(cache, "toydir/sub/b.txt", B)
    good = ds.verify("toy", registry=toy)
    assert good.ok and "OK" in good.format().splitlines()[0]


# ------------------------------------------------------------------------- loaders (tmp registry)


def _imdb_tar(reviews: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for rel, text in sorted(reviews.items()):
            info = tarfile.TarInfo(f"aclImdb/{rel}")
            data = text.encode()
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_load_imdb_same_data_from_either_form(env, tmp_path, no_network):
    cache, _ = env
    reviews = {f"{s}/{f}/{i}_{r}.txt": f"{s} {f} {i}" for s in ("train", "test")
               for f, r in (("pos", 8), ("neg", 3)) for i in range(10)}
    unsup = {f"train/unsup/{i}_0.txt": f"unsup {i}" for i in range(5)}
    whole, labeled, unl = _imdb_tar(reviews | unsup), _imdb_tar(reviews), _imdb_tar(unsup)
    put(cache, "imdb/one.tar.gz", whole)
    put(cache, "imdb2/l.tar.gz", labeled)
    put(cache, "imdb2/u.tar.gz", unl)
    one = write_registry(tmp_path / "1.toml", {"imdb": {"forms": [{
        "name": "v1", "kind": "upstream", "files": [
            {"name": "one.tar.gz", "role": "all", "data": whole, "urls": ["https://x.invalid"]}]}]}})
    two = write_registry(tmp_path / "2.toml", {"imdb": {"dir": "imdb2", "forms": [{
        "name": "pair", "kind": "mirror", "files": [
            {"name": "l.tar.gz", "role": "labeled", "data": labeled},
            {"name": "u.tar.gz", "role": "unsup", "data": unl}]}]}})
    a = ds.load_imdb(val_size=4, seed=3, include_unsup=True, registry=one)
    b = ds.load_imdb(val_size=4, seed=3, include_unsup=True, registry=two)
    for field in vars(a):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert len(a.train_texts) == 16 and len(a.val_texts) == 4 and len(a.test_texts) == 20
    assert a.train_labels.dtype == np.int32 and int(a.val_labels.sum()) == 2
    assert int(a.test_labels.sum()) == 10
    assert a.unsup_texts == [f"unsup {i}" for i in range(5)]
    for texts, labels in ((a.train_texts, a.train_labels), (a.test_texts, a.test_labels)):
        assert all(("pos" in t) == bool(y) for t, y in zip(texts, labels, strict=True))
    assert ds.load_imdb(val_size=4, seed=3, registry=two).unsup_texts is None


def test_load_conll_and_spa_eng_on_tmp_registry(env, tmp_path, no_network):
    cache, _ = env
    conll = (FIXTURES / "conll_iob2.txt").read_bytes()
    for split in ("train", "valid", "test"):
        put(cache, f"conll2003/{split}.txt", conll)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("spa-eng/spa.txt", (FIXTURES / "spa.txt").read_bytes())
    put(cache, "spa-eng/spa-eng.zip", buf.getvalue())
    reg = write_registry(tmp_path / "r.toml", {
        "conll2003": {"forms": [{"name": "f", "kind": "mirror", "files": [
            {"name": f"{s}.txt", "role": s, "data": conll} for s in ("train", "valid", "test")]}]},
        "spa-eng": {"forms": [{"name": "f", "kind": "mirror", "files": [
            {"name": "spa-eng.zip", "role": "pairs", "data": buf.getvalue()}]}]},
    })
    data = ds.load_conll2003(registry=reg)
    assert len(data.train) == len(data.valid) == len(data.test) == 3
    assert data.tag_names == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC",
                              "B-MISC", "I-MISC"]
    pairs = ds.load_spa_eng(val_fraction=1 / 6, test_fraction=1 / 6, seed=0, registry=reg)
    assert (len(pairs.train), len(pairs.val), len(pairs.test)) == (4, 1, 1)
    assert ("Hace frío.", "It's cold.") in pairs.train + pairs.val + pairs.test
