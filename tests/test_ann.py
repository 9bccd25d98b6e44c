"""The neighbour index (``embedkit index``): answers agree with the exact scan on structured
vectors, scores are exact, excluded and zero rows never come back, a stale, foreign or damaged
index is named and skipped, and bad input is one clean line."""

import builtins
import os

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run, unchanged
from embedkit.errors import VectorsFormatError
from embedkit.vectors import Embeddings

pytest.importorskip("pynndescent", reason="the neighbour index needs the ann extra (pynndescent)")

from embedkit.ann import build_index, index_path, load_index, save_index  # noqa: E402

ROWS, DIM = 3000, 16


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """3,000 clustered vectors (60 centres), two zero rows, saved with their index."""
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(60, DIM))
    vectors = centres[rng.integers(0, 60, ROWS)] + 0.4 * rng.normal(size=(ROWS, DIM))
    vectors[[7, 1500]] = 0
    path = tmp_path_factory.mktemp("ann") / "vectors.bin"
    embeddings = Embeddings([f"w{i}" for i in range(ROWS)], vectors)
    embeddings.save(path)
    save_index(build_index(embeddings.unit, path, threads=1), index_path(path))
    return path


def loaded(path):
    embeddings = Embeddings.load(path)
    embeddings.neighbour_index = load_index(index_path(path), path, len(embeddings), embeddings.dim)
    return embeddings


def test_indexed_answers_match_the_exact_scan(indexed):
    embeddings, exact = loaded(indexed), Embeddings.load(indexed)
    words = [f"w{i}" for i in range(0, ROWS, 97) if i not in (7, 1500)]
    recall = []
    for word in words:
        approximate = embeddings.most_similar([word], topn=10)
        truth = dict(exact.most_similar([word], topn=10))
        recall.append(len(truth.keys() & {w for w, _ in approximate}) / 10)
        for other, score in approximate:  # every score is the exact cosine
            assert score == pytest.approx(exact.similarity(word, other), abs=1e-6)
        assert [s for _, s in approximate] == sorted((s for _, s in approximate), reverse=True)
        assert word not in dict(approximate) and "w7" not in dict(approximate) and "w1500" not in dict(approximate)
    assert np.mean(recall) >= 0.95


def test_too_few_candidates_fall_back_to_the_exact_scan(indexed):
    embeddings, exact = loaded(indexed), Embeddings.load(indexed)

    class OnlyTheQuery:
        def candidates(self, queries, k):
            return np.full((1, k), 42)

    embeddings.neighbour_index = OnlyTheQuery()
    assert embeddings.most_similar(["w42"], topn=5) == exact.most_similar(["w42"], topn=5)


def test_restricted_and_3cosmul_queries_scan(indexed):
    embeddings, exact = loaded(indexed), Embeddings.load(indexed)
    assert embeddings.most_similar(["w3"], restrict_vocab=100) == exact.most_similar(["w3"], restrict_vocab=100)
    assert embeddings.analogy("w1", "w2", "w3", method="3cosmul") == exact.analogy("w1", "w2", "w3", method="3cosmul")


def test_a_changed_vectors_file_makes_the_index_stale(indexed, tmp_path):
    path = tmp_path / "vectors.bin"
    path.write_bytes(indexed.read_bytes())
    index_path(path).write_bytes(index_path(indexed).read_bytes())
    with pytest.raises(VectorsFormatError, match="stale \\(mtime_ns differ"):
        load_index(index_path(path), path, ROWS, DIM)
    stat = os.stat(indexed)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert load_index(index_path(path), path, ROWS, DIM).header["rows"] == ROWS
    with pytest.raises(VectorsFormatError, match="stale \\(rows differ"):
        load_index(index_path(path), path, 100, DIM)


@pytest.mark.parametrize(
    "content, message",
    [(b"\x80\x04garbage", "not an embedkit neighbour index"), (b'{"format": "other"}\n', "not an embedkit")],
)
def test_a_foreign_index_file_is_refused_before_unpickling(indexed, tmp_path, content, message):
    path = tmp_path / "v.bin"
    path.write_bytes(indexed.read_bytes())
    index_path(path).write_bytes(content)
    with pytest.raises(VectorsFormatError, match=message):
        load_index(index_path(path), path, ROWS, DIM)


def test_a_damaged_index_is_named(indexed, tmp_path):
    path = tmp_path / "v.bin"
    path.write_bytes(indexed.read_bytes())
    stat = os.stat(indexed)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    data = index_path(indexed).read_bytes()
    index_path(path).write_bytes(data[: len(data) // 2])
    with pytest.raises(VectorsFormatError, match="damaged"):
        load_index(index_path(path), path, ROWS, DIM)


def test_commands_use_the_index_and_say_so(indexed):
    vectors = ["--vectors", indexed]
    used = cli_run("similar", "w5", "-n", 3, *vectors)
    assert used.exit_code == 0 and "approximate neighbours from" in used.output
    scanned = cli_run("similar", "w5", "-n", 3, "--exact", *vectors)
    assert scanned.exit_code == 0 and "approximate" not in scanned.output
    strip = [line for line in used.output.splitlines() if not line.startswith("note:")]
    assert strip == scanned.output.splitlines()
    assert "approximate" in cli_run("analogy", "w1", "w2", "w3", *vectors).output
    assert "approximate" not in cli_run("analogy", "w1", "w2", "w3", "--method", "3cosmul", *vectors).output
    limited = cli_run("similar", "w5", "--limit", 500, *vectors)
    assert limited.exit_code == 0 and "note: exact search" in limited.output and "stale" in limited.output


def test_index_command_writes_the_index(tmp_path):
    path = tmp_path / "v.txt"
    Embeddings([f"w{i}" for i in range(50)], np.random.default_rng(1).normal(size=(50, 4))).save(path)
    result = cli_run("index", path, "--threads", 1)
    assert result.exit_code == 0, result.output
    assert "indexed 50 vectors x 4" in result.output and index_path(path).is_file()


def test_index_bad_input_is_one_clean_line(tmp_path, monkeypatch):
    path = tmp_path / "one.txt"
    Embeddings(["only"], np.ones((1, 4))).save(path)
    with unchanged(tmp_path):
        assert_clean_error(cli_run("index", tmp_path / "missing.bin"), contains="not found")
        assert_clean_error(cli_run("index", path), contains="at least 2 vectors")
    real_import = builtins.__import__

    def no_pynndescent(name, *args, **kwargs):
        if name == "pynndescent":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pynndescent)
    with unchanged(tmp_path):
        assert_clean_error(cli_run("index", path), contains="pip install 'embedkit[ann]'")


def test_an_index_of_another_pynndescent_is_stale(indexed, tmp_path):
    import json as json_module

    path = tmp_path / "v.bin"
    path.write_bytes(indexed.read_bytes())
    stat = os.stat(indexed)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    header, _, rest = index_path(indexed).read_bytes().partition(b"\n")
    changed = {**json_module.loads(header), "pynndescent": "0.0.1"}
    index_path(path).write_bytes(json_module.dumps(changed).encode() + b"\n" + rest)
    with pytest.raises(VectorsFormatError, match="built with pynndescent 0.0.1"):
        load_index(index_path(path), path, ROWS, DIM)
