"""Exploring vectors: WEAT, doesnt-match, 3CosMul by brute force, the native format, plots and
the commands around them (evaluate all, datasets, query, convert, info, plot, bias weat)."""

import json
import math
import struct

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import SHARED_DATA
from embedkit.bias import WeatTest, load_tests, weat
from embedkit.cli import cli
from embedkit.datasets import DATASETS, dataset_path
from embedkit.errors import ConfigError, EmbedkitError
from embedkit.io import native_words_path
from embedkit.vectors import Embeddings


def run(*args, input=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def toy():
    """2-D vectors whose cosines are easy to write down by hand."""
    words = ["x1", "x2", "y1", "y2", "a", "b"]
    vectors = np.array([[1, 0], [1, 1], [0, 1], [1, 2], [1, 0], [0, 1]], dtype=np.float32)
    return Embeddings(words, vectors)


def test_weat_effect_size_and_exact_p_value_by_hand(toy):
    # s(w) = cos(w, a) - cos(w, b): x1 -> 1 - 0, x2 -> 0, y1 -> -1, y2 -> 1/sqrt5 - 2/sqrt5
    s = np.array([1.0, 0.0, -1.0, (1 - 2) / math.sqrt(5)])
    expected = (s[:2].mean() - s[2:].mean()) / s.std(ddof=1)
    result = weat(toy, WeatTest("toy", ("x1", "x2"), ("y1", "y2"), ("a",), ("b",)))
    assert result.effect_size == pytest.approx(expected, rel=1e-6)
    assert result.statistic == pytest.approx(s[:2].sum() - s[2:].sum(), rel=1e-6)
    # All 6 partitions of {x1, x2, y1, y2} into two pairs: none beats the observed one.
    assert result.exact and result.p_value == 0.0
    swapped = weat(toy, WeatTest("swap", ("y1", "y2"), ("x1", "x2"), ("a",), ("b",)))
    assert swapped.effect_size == pytest.approx(-expected, rel=1e-6)
    assert swapped.p_value == pytest.approx(5 / 6)  # all partitions but the observed one beat it


def test_weat_sampled_p_values_are_roughly_uniform_without_association():
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(200)]
    embeddings = Embeddings(words, rng.normal(size=(200, 50)).astype(np.float32))
    p_values = []
    for trial in range(40):
        x, y, a, b = (tuple(group) for group in rng.permutation(words)[:40].reshape(4, 10))
        result = weat(embeddings, WeatTest("random", x, y, a, b), permutations=400, seed=trial)
        assert not result.exact
        p_values.append(result.p_value)
    assert 0.35 < np.mean(p_values) < 0.65
    assert np.mean(np.array(p_values) < 0.05) < 0.2


def test_weat_sets_load_and_fail_clearly(tmp_path, toy):
    shipped = load_tests()
    assert set(shipped) == {"flowers-insects", "instruments-weapons", "career-family", "math-arts", "science-arts"}
    assert len(shipped["flowers-insects"].X) == 25 and len(shipped["career-family"].A) == 8
    bad = tmp_path / "bad.toml"
    bad.write_text("[t]\nX = ['a']\n")
    with pytest.raises(ConfigError, match="needs word lists X, Y, A and B"):
        load_tests(bad)
    with pytest.raises(EmbedkitError, match="too few of its words"):
        weat(toy, WeatTest("t", ("x1", "nope"), ("y1", "y2"), ("a",), ("b",)))


def test_doesnt_match_picks_the_outlier(toy):
    words = ["p", "q", "r", "odd"]
    vectors = np.array([[1, 0.1], [1, -0.1], [1, 0], [-1, 3]], dtype=np.float32)
    assert Embeddings(words, vectors).doesnt_match(["p", "q", "r", "odd"]) == "odd"
    with pytest.raises(ValueError):
        toy.doesnt_match(["a"])


def test_3cosmul_equals_a_brute_force_numpy_computation():
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(300)]
    embeddings = Embeddings(words, rng.normal(size=(300, 20)).astype(np.float32))
    unit = embeddings.vectors / np.linalg.norm(embeddings.vectors, axis=1, keepdims=True)
    a, b, c = 3, 7, 11
    scores = []
    for x in range(300):
        shift = [(1 + unit[x] @ unit[q]) / 2 for q in (a, b, c)]
        scores.append(-np.inf if x in (a, b, c) else shift[0] * shift[2] / (shift[1] + 1e-6))
    best = np.argsort(scores)[::-1][:5]
    answer = embeddings.analogy("w3", "w7", "w11", topn=5, method="3cosmul")
    assert [w for w, _ in answer] == [words[i] for i in best]
    np.testing.assert_allclose([s for _, s in answer], [scores[i] for i in best], rtol=1e-5)


def test_native_format_round_trip_and_memory_map(tmp_path, toy):
    path = tmp_path / "v.npy"
    toy.save(path)
    assert [w for w in native_words_path(path).read_text().splitlines() if not w.startswith("#")] == toy.words
    loaded = Embeddings.load(path)
    np.testing.assert_array_equal(loaded.vectors, toy.vectors)
    assert loaded.words == toy.words and isinstance(np.load(path, mmap_mode="r"), np.memmap)
    native_words_path(path).write_text("x1\n")
    with pytest.raises(EmbedkitError, match="expected a float32"):
        Embeddings.load(path)


@pytest.fixture
def vectors_file(tmp_path):
    words = [
        "king",
        "queen",
        "man",
        "woman",
        "france",
        "paris",
        "italy",
        "rome",
        "breakfast",
        "lunch",
        "dinner",
        "cereal",
        "flowers",
    ]
    rng = np.random.default_rng(2)
    path = tmp_path / "v.txt"
    Embeddings(words, rng.normal(size=(len(words), 8)).astype(np.float32)).save(path)
    return path


def test_similar_with_several_words_and_negatives(vectors_file):
    result = run("similar", "king", "woman", "-x", "man", "-n", "3", "--vectors", vectors_file)
    assert result.exit_code == 0 and len(result.output.splitlines()) == 3
    assert not {"king", "woman", "man"} & {line.split("\t")[0] for line in result.output.splitlines()}
    assert run("similar", "king", "-x", "nope", "--vectors", vectors_file).exit_code == 1


def test_doesnt_match_and_query_commands(vectors_file):
    result = run("doesnt-match", "breakfast", "lunch", "dinner", "--vectors", vectors_file)
    assert result.exit_code == 0 and result.output.strip() in {"breakfast", "lunch", "dinner"}
    assert run("doesnt-match", "king", "--vectors", vectors_file).exit_code == 2
    lines = "france\nking -man woman\nking - man + woman\nsim king queen\nodd breakfast lunch cereal\nnope\n\nparis\n"
    result = run("query", "-n", "2", "--vectors", vectors_file, input=lines)
    assert result.exit_code == 0
    blocks = result.output.split("\n\n")
    assert len(blocks[0].splitlines()) == 2 and blocks[1] == blocks[2]  # '-man' and '- man' agree
    assert float(blocks[3]) == pytest.approx(Embeddings.load(vectors_file).similarity("king", "queen"), abs=1e-4)
    assert "error: word not in vocabulary: 'nope'" in result.output
    assert "paris" not in result.output.split("error")[-1]  # the empty line ended the session


def test_convert_between_formats_and_info(tmp_path, vectors_file):
    original = Embeddings.load(vectors_file)
    for name, fmt in [("v.npy", "native"), ("v.bin", "word2vec-binary"), ("v.glove", "glove-text")]:
        args = ["--to", "glove-text"] if fmt == "glove-text" else []
        result = run("convert", vectors_file, tmp_path / name, *args)
        assert result.exit_code == 0 and f"({fmt})" in result.output
        np.testing.assert_allclose(Embeddings.load(tmp_path / name).vectors, original.vectors, rtol=1e-6)
    info = run("info", tmp_path / "v.npy")
    assert info.exit_code == 0 and "words       13" in info.output and "dimension   8" in info.output
    assert run("convert", tmp_path / "missing.bin", tmp_path / "x.npy").exit_code == 1
    missing = run("info", tmp_path / "missing.bin")
    assert missing.exit_code == 1 and "vectors file not found" in missing.output
    assert run("convert", vectors_file, tmp_path / "no" / "x.npy").exit_code == 1


def test_evaluate_all_and_datasets(tmp_path):
    words = []
    for name in ("wordsim353", "simlex999"):
        for line in dataset_path(name)[1].read_text().splitlines():
            if not line.startswith("#"):
                words += [w.lower() for w in line.split("\t")[:2]]
    words = list(dict.fromkeys(words))
    path = tmp_path / "v.bin"
    Embeddings(words, np.random.default_rng(0).normal(size=(len(words), 10)).astype(np.float32)).save(path)
    result = run("evaluate", "all", "--vectors", path, "--data-dir", tmp_path)
    assert result.exit_code == 0
    rows = [line.split()[0] for line in result.output.splitlines()[1:] if line and not line.startswith("skipped")]
    assert rows[:2] == ["wordsim353", "simlex999"]
    assert "skipped men: not found" in result.output
    listing = run("datasets", "--data-dir", tmp_path)
    assert listing.exit_code == 0 and len(listing.output.splitlines()) == len(DATASETS)
    assert "missing: download EN-MEN-TR-3k.txt" in listing.output
    assert run("evaluate", "men", "--vectors", path, "--data-dir", tmp_path).exit_code == 1
    if (SHARED_DATA / "similarity" / "EN-MEN-TR-3k.txt").is_file():
        found = run("evaluate", "all", "--json", "--vectors", path, "--data-dir", SHARED_DATA)
        assert {"men", "rw", "simverb-3500"} <= {row["dataset"] for row in json.loads(found.output.splitlines()[0])}
    sections = run("evaluate", "google-analogy", "--sections", "--vectors", path)
    assert sections.exit_code == 0
    assert [line.split()[0] for line in sections.output.splitlines()[1:4]] == [
        "capital-common-countries",
        "capital-world",
        "currency",
    ]


def test_plot_writes_an_image_of_the_requested_size(tmp_path, vectors_file):
    pytest.importorskip("matplotlib")
    png = tmp_path / "p.png"
    result = run(
        "plot",
        "--pairs",
        "france:paris,italy:rome",
        "--words",
        "king,queen",
        "-o",
        png,
        "--width",
        "640",
        "--height",
        "480",
        "--vectors",
        vectors_file,
    )
    assert result.exit_code == 0, result.output
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24]) == (640, 480)
    svg = tmp_path / "p.svg"
    assert run("plot", "--top", "5", "-o", svg, "--vectors", vectors_file).exit_code == 0
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()
    assert run("plot", "--top", "5", "-o", tmp_path / "p.gif", "--vectors", vectors_file).exit_code == 1
    assert run("plot", "--words", "king,nope,queen", "-o", png, "--vectors", vectors_file).exit_code == 1
    assert run("plot", "--pairs", "france-paris", "-o", png, "--vectors", vectors_file).exit_code == 2
    assert run("plot", "-o", png, "--vectors", vectors_file).exit_code == 2
    few = run("plot", "--words", "king,queen", "-o", png, "--vectors", vectors_file)
    assert few.exit_code == 1 and "at least 3 words" in few.output


@pytest.mark.slow
def test_plot_with_tsne(tmp_path, vectors_file):
    pytest.importorskip("sklearn")
    png = tmp_path / "t.png"
    result = run("plot", "--top", "10", "--method", "tsne", "-o", png, "--vectors", vectors_file)
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bias_weat_command(tmp_path, vectors_file):
    sets = tmp_path / "sets.toml"
    sets.write_text(
        '[royal]\nnames = ["royal", "places", "male", "female"]\nX = ["king", "queen"]\n'
        'Y = ["paris", "rome"]\nA = ["man"]\nB = ["woman"]\n'
    )
    result = run("bias", "weat", "--sets", sets, "--vectors", vectors_file)
    assert result.exit_code == 0 and result.output.startswith("royal: royal vs places with male vs female")
    assert run("bias", "weat", "--sets", sets, "--test", "nope", "--vectors", vectors_file).exit_code == 2
    assert run("bias", "weat", "--vectors", vectors_file).exit_code == 1  # no shipped test fits 13 words
