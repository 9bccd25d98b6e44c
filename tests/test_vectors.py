"""Queries on embeddings: cosine neighbours, analogies (3CosAdd, 3CosMul), unknown words."""

import numpy as np
import pytest

from embedkit.errors import EmbedkitError, UnknownWordError, ZeroVectorError
from embedkit.vectors import Embeddings


@pytest.fixture
def toy():
    royal, male, female, fruit = np.eye(4)
    rng = np.random.default_rng(1)
    table = {
        "king": royal + male,
        "queen": royal + female,
        "man": male + 0.1 * royal,
        "woman": female + 0.1 * royal,
        "apple": fruit,
        "pear": fruit + 0.2 * female,
        "prince": 0.9 * royal + male + 0.3 * fruit,
    }
    words = list(table)
    vectors = np.array([table[w] for w in words]) + 0.01 * rng.normal(size=(len(words), 4))
    return Embeddings(words, vectors)


def brute_force_cosines(emb, query):
    unit = emb.vectors / np.linalg.norm(emb.vectors, axis=1, keepdims=True)
    return unit @ (query / np.linalg.norm(query))


def test_most_similar_ranks_by_cosine_and_excludes_the_query(toy):
    result = toy.most_similar(["king"], topn=3)
    cos = brute_force_cosines(toy, toy["king"])
    order = [toy.words[i] for i in np.argsort(-cos) if toy.words[i] != "king"][:3]
    assert [w for w, _ in result] == order
    assert [s for _, s in result] == pytest.approx(sorted(cos[[toy.index[w] for w in order]], reverse=True), abs=1e-6)


def test_analogy_a_minus_b_plus_c(toy):
    assert toy.analogy("king", "man", "woman", topn=1)[0][0] == "queen"
    assert toy.analogy("king", "man", "woman", topn=1, method="3cosmul")[0][0] == "queen"
    assert {w for w, _ in toy.analogy("king", "man", "woman", topn=10)} == {"apple", "pear", "prince", "queen"}


def test_3cosmul_equals_brute_force(toy):
    unit = toy.vectors / np.linalg.norm(toy.vectors, axis=1, keepdims=True)
    s = (1 + unit @ unit[[toy.index["king"], toy.index["man"], toy.index["woman"]]].T) / 2
    expected = s[:, 0] * s[:, 2] / (s[:, 1] + 1e-6)
    result = dict(toy.analogy("king", "man", "woman", topn=10, method="3cosmul"))
    for word, score in result.items():
        assert score == pytest.approx(expected[toy.index[word]], rel=1e-5)
    best = max((w for w in toy.words if w not in ("king", "man", "woman")), key=lambda w: expected[toy.index[w]])
    assert next(iter(result)) == best


def test_restrict_vocab_limits_candidates(toy):
    assert {w for w, _ in toy.most_similar(["apple"], topn=5, restrict_vocab=3)} == {"king", "queen", "man"}
    assert toy.most_similar(["apple"], topn=1)[0][0] == "pear"  # outside the first 3 words


def test_similarity_and_unknown_words(toy):
    assert toy.similarity("apple", "pear") == pytest.approx(
        brute_force_cosines(toy, toy["pear"])[toy.index["apple"]], abs=1e-6
    )
    with pytest.raises(UnknownWordError, match="'banana'"):
        toy.most_similar(["banana"])
    with pytest.raises(UnknownWordError, match="'banana'"):
        toy.analogy("king", "banana", "woman")


def test_zero_and_nonfinite_rows_are_similar_to_nothing():
    vectors = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [np.nan, 1.0], [-1.0, 0.1], [np.inf, 0]])
    emb = Embeddings(["a", "zero", "c", "nan", "e", "inf"], vectors)
    assert np.isfinite(emb.unit).all() and not emb.unit[[1, 3, 5]].any()
    assert [w for w, _ in emb.most_similar(["a"], topn=10)] == ["c", "e"]  # never the zero/NaN rows
    assert emb.similarity("a", "zero") == 0.0 and emb.similarity("nan", "c") == 0.0
    for query in (
        lambda: emb.most_similar(["zero"]),
        lambda: emb.most_similar(["a"], ["nan"]),
        lambda: emb.analogy("a", "zero", "c"),
        lambda: emb.doesnt_match(["a", "c", "inf"]),
    ):
        with pytest.raises(ZeroVectorError, match="similar to nothing"):
            query()
    with pytest.raises(ZeroVectorError, match="cancel out"):
        emb.most_similar(["a"], ["a"])


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogy_never_answers_a_zero_row(method):
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [0.5, 0.2]])
    emb = Embeddings(["a", "b", "c", "zero", "d"], vectors)
    assert [w for w, _ in emb.analogy("a", "b", "c", topn=5, method=method)] == ["d"]


def test_nothing_to_compare_is_an_error_not_an_empty_answer():
    one = Embeddings(["only"], np.ones((1, 3)))
    with pytest.raises(EmbedkitError, match="nothing to compare"):
        one.most_similar(["only"])
    three = Embeddings(["a", "b", "c"], np.eye(3))
    with pytest.raises(EmbedkitError, match="nothing to compare"):
        three.analogy("a", "b", "c")
    assert three.most_similar(["a"], topn=5, restrict_vocab=2) == [("b", 0.0)]
