"""``align`` and ``drift``: a known rotation is recovered, a planted drifted word is found
first, and bad input (missing files, other dimensions, nothing shared) is one clean line."""

import json

import numpy as np
import pytest
from scipy.stats import ortho_group

from badinput import assert_clean_error, cli_run, unchanged
from embedkit.align import align, drift, shared_words
from embedkit.errors import EmbedkitError
from embedkit.vectors import Embeddings

DIM = 24
WORDS = [f"w{i}" for i in range(300)]


@pytest.fixture(scope="module")
def rotated():
    """A: 300 random words; B: the same vectors rotated by a known Q, words in another order,
    plus two words A lacks."""
    rng = np.random.default_rng(7)
    a = rng.normal(size=(len(WORDS), DIM)).astype(np.float32)
    q = ortho_group.rvs(DIM, random_state=3)
    order = rng.permutation(len(WORDS))
    b_words = [WORDS[i] for i in order] + ["only_b1", "only_b2"]
    b = np.vstack([a[order].astype(np.float64) @ q, rng.normal(size=(2, DIM))]).astype(np.float32)
    return Embeddings(WORDS, a), Embeddings(b_words, b), q


def test_a_known_rotation_is_recovered_to_1e5(rotated):
    a, b, q = rotated
    aligned, alignment = align(a, b)
    np.testing.assert_allclose(q @ alignment.rotation, np.eye(DIM), atol=1e-5)
    rows = [aligned.index[w] for w in WORDS]
    np.testing.assert_allclose(aligned.vectors[rows], a.vectors, atol=1e-5)
    assert alignment.residual < 1e-5
    assert aligned.words == b.words  # every word of B, in B's order
    assert alignment.anchors == WORDS


def test_anchors_are_the_most_frequent_shared_words(rotated):
    a, b, q = rotated
    _, alignment = align(a, b, anchors=50)
    assert alignment.anchors == WORDS[:50]
    np.testing.assert_allclose(q @ alignment.rotation, np.eye(DIM), atol=1e-5)


def test_rotation_keeps_cosines_of_b(rotated):
    _, b, _ = rotated
    a_noisy = Embeddings(b.words, b.vectors + np.random.default_rng(1).normal(scale=0.3, size=b.vectors.shape))
    aligned, alignment = align(a_noisy, b)
    assert alignment.residual > 0.01
    np.testing.assert_allclose(aligned.unit @ aligned.unit[5], b.unit @ b.unit[5], atol=1e-5)


def test_a_planted_drifted_word_ranks_first(rotated):
    a, b, _ = rotated
    moved = b.vectors.copy()
    moved[b.index["w17"]] = moved[b.index["w230"]]  # w17 now means what w230 means
    rows = drift(a, Embeddings(b.words, moved), top=300, neighbours=10)
    assert rows[0].word == "w17"
    assert rows[0].cosine_distance > 0.5
    assert max(rows, key=lambda r: r.neighbour_distance).word == "w17"
    others = [r for r in rows if r.word != "w17"]
    assert max(r.cosine_distance for r in others) < 0.01  # the planted word moves the fit a little


def test_neighbour_distance_is_the_jaccard_distance_of_the_knn_sets():
    rng = np.random.default_rng(5)
    a = Embeddings(WORDS[:40], rng.normal(size=(40, 8)))
    b = Embeddings(WORDS[:40], rng.normal(size=(40, 8)))
    rows = {r.word: r for r in drift(a, b, top=40, neighbours=5)}

    def knn(e, word):
        sims = e.unit @ e[word] / np.linalg.norm(e[word])
        sims[e.index[word]] = -np.inf
        return {e.words[i] for i in np.argsort(-sims)[:5]}

    for word in WORDS[:40]:
        first, second = knn(a, word), knn(b, word)
        expected = 1 - len(first & second) / len(first | second)
        assert rows[word].neighbour_distance == pytest.approx(expected)


def test_other_dimensions_and_nothing_shared_are_errors(rotated):
    a, b, _ = rotated
    with pytest.raises(EmbedkitError, match="different dimensions"):
        align(a, Embeddings(["x", "y"], np.ones((2, DIM + 1))))
    with pytest.raises(EmbedkitError, match="share 0 word"):
        shared_words(a, Embeddings(["x", "y"], np.ones((2, DIM))))
    zero = Embeddings(WORDS[:3], np.zeros((3, DIM)))
    with pytest.raises(EmbedkitError, match="share 0 word"):
        drift(a, zero)


@pytest.fixture
def files(tmp_path, rotated):
    a, b, _ = rotated
    a.save(tmp_path / "a.txt")
    b.save(tmp_path / "b.bin")
    Embeddings(["x", "y", "z"], np.ones((3, DIM))).save(tmp_path / "disjoint.txt")
    Embeddings(WORDS[:3], np.ones((3, DIM + 2))).save(tmp_path / "wide.txt")
    return tmp_path


def test_align_command_writes_the_rotated_vectors(files, rotated):
    a, _, _ = rotated
    result = cli_run("align", files / "a.txt", files / "b.bin", "-o", files / "out.bin", "--anchors", 100)
    assert result.exit_code == 0, result.output
    assert "on 100 anchor words" in result.output
    out = Embeddings.load(files / "out.bin")
    np.testing.assert_allclose(out.vectors[[out.index[w] for w in WORDS]], a.vectors, atol=1e-5)


def test_drift_command_prints_and_ranks(files):
    result = cli_run("drift", files / "a.txt", files / "b.bin", "--top", 100, "-n", 5, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 5 and set(rows[0]) == {"word", "cosine_distance", "neighbour_distance"}
    table = cli_run("drift", files / "a.txt", files / "b.bin", "--by", "neighbours", "-n", 3)
    assert table.exit_code == 0 and len(table.output.splitlines()) == 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["align", "a.txt", "missing.bin", "-o", "out.bin"], "not found"),
        (["align", "a.txt", "wide.txt", "-o", "out.bin"], "different dimensions"),
        (["align", "a.txt", "disjoint.txt", "-o", "out.bin"], "share 0 word"),
        (["align", "a.txt", "b.bin", "-o", "no/such/dir/out.bin"], "directory"),
        (["align", "a.txt", "b.bin", "-o", "a.txt"], "input"),
        (["drift", "a.txt", "missing.bin"], "not found"),
        (["drift", "a.txt", "wide.txt"], "different dimensions"),
        (["drift", "a.txt", "disjoint.txt"], "share 0 word"),
        (["drift", "a.txt", "b.bin", "--top", 5, "--neighbours", 5], "--neighbours 5"),
    ],
)
def test_bad_input_is_one_clean_line(files, monkeypatch, args, message):
    monkeypatch.chdir(files)
    with unchanged(files):
        result = cli_run(*args)
    assert_clean_error(result, contains=message)
