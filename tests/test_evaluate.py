"""Evaluation equals gensim's evaluate_word_pairs / evaluate_word_analogies on the same file."""

import numpy as np
import pytest

from conftest import SHARED_DATA
from embedkit.datasets import dataset_path, locate
from embedkit.evaluate import evaluate_analogy, evaluate_similarity, guess_kind
from embedkit.vectors import Embeddings

gensim_kv = pytest.importorskip("gensim.models.keyedvectors", reason="gensim (dev extra) is needed")
# gensim's own most_similar_cosmul calls its deprecated init_sims on every query
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


@pytest.fixture(scope="module")
def structured_vectors(tmp_path_factory):
    """Vectors for every dataset word where each analogy relation is a noisy offset, so that
    accuracy is neither 0 nor 1; some words are missing (OOV) and a case variant is added."""
    rng = np.random.default_rng(42)
    dim = 30
    table: dict[str, np.ndarray] = {}
    _, analogies = dataset_path("google-analogy")
    offset = None
    for line in analogies.read_text().splitlines():
        if line.startswith(":"):
            offset = rng.normal(size=dim)
            continue
        a, b, c, d = line.lower().split()
        for x, y in ((a, b), (c, d)):
            table.setdefault(x, rng.normal(size=dim))
            table.setdefault(y, table[x] + offset + rng.normal(scale=1.2, size=dim))
    for name in ("wordsim353", "simlex999"):
        for line in dataset_path(name)[1].read_text().splitlines():
            if not line.startswith("#"):
                for w in line.lower().split("\t")[:2]:
                    table.setdefault(w, rng.normal(size=dim))
    words = [w for w in table if rng.random() > 0.03]  # ~3% OOV
    rng.shuffle(words)
    words.insert(len(words) // 2, words[0].upper())  # a less frequent case variant
    vectors = np.array([table[w.lower()] for w in words], dtype=np.float32)
    path = tmp_path_factory.mktemp("vec") / "structured.bin"
    Embeddings(words, vectors).save(path)
    return path


@pytest.mark.parametrize("name", ["wordsim353", "simlex999"])
def test_similarity_matches_gensim(structured_vectors, name):
    _, path = dataset_path(name)
    ours = evaluate_similarity(Embeddings.load(structured_vectors), path, name)
    kv = gensim_kv.KeyedVectors.load_word2vec_format(str(structured_vectors), binary=True)
    pearson, spearman, oov_ratio = kv.evaluate_word_pairs(str(path))
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert ours.oov_pairs > 0
    assert 100 * ours.oov_pairs / (ours.pairs + ours.oov_pairs) == pytest.approx(oov_ratio)


def gensim_cosmul_analogies(kv, path, restrict):
    """gensim's evaluate_word_analogies with most_similar_cosmul in place of most_similar
    (gensim 4.4 accepts ``similarity_function`` but always uses 3CosAdd)."""
    ok_vocab = {k.upper(): kv.get_index(k) for k in reversed(kv.index_to_key[:restrict])}
    original = kv.key_to_index
    sections = []
    for line in path.read_text().splitlines():
        if line.startswith(": "):
            sections.append([line[2:].strip(), 0, 0])
            continue
        a, b, c, expected = line.upper().split()
        if not all(w in ok_vocab for w in (a, b, c, expected)):
            continue
        kv.key_to_index = ok_vocab
        sims = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5, restrict_vocab=restrict)
        kv.key_to_index = original
        predicted = next((w.upper() for w, _ in sims if w.upper() in ok_vocab and w.upper() not in {a, b, c}), None)
        sections[-1][1] += predicted == expected
        sections[-1][2] += 1
    return [tuple(s) for s in sections]


@pytest.mark.parametrize("restrict", [30_000, 1500])
@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogy_matches_gensim(structured_vectors, restrict, method):
    _, path = dataset_path("google-analogy")
    ours = evaluate_analogy(Embeddings.load(structured_vectors), path, restrict_vocab=restrict, method=method)
    kv = gensim_kv.KeyedVectors.load_word2vec_format(str(structured_vectors), binary=True)
    assert 0.05 < ours.accuracy < 0.95
    if method == "3cosadd":
        score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict)
        assert ours.accuracy == pytest.approx(score, abs=1e-12)
        theirs = [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]]
    else:
        theirs = gensim_cosmul_analogies(kv, path, restrict)
    assert ours.sections == theirs
    assert ours.oov_questions == 19544 - ours.questions


def test_guess_kind():
    assert guess_kind(dataset_path("google-analogy")[1]) == "analogy"
    assert guess_kind(dataset_path("simlex999")[1]) == "similarity"


@pytest.mark.parametrize("name", ["men", "rw", "mturk-771", "simverb-3500", "ws353-rel"])
def test_shared_similarity_sets_match_gensim(tmp_path, name):
    """The sets read from the shared data directory score as gensim scores them."""
    path = locate(name, SHARED_DATA)
    if path is None:
        pytest.skip(f"{name} not found under {SHARED_DATA}")
    rng = np.random.default_rng(7)
    words = list(dict.fromkeys(w for line in path.read_text().splitlines() for w in line.lower().split("\t")[:2]))
    words = [w for w in words if rng.random() > 0.05]
    vectors_path = tmp_path / "v.bin"
    Embeddings(words, rng.normal(size=(len(words), 20)).astype(np.float32)).save(vectors_path)
    ours = evaluate_similarity(Embeddings.load(vectors_path), path, name)
    kv = gensim_kv.KeyedVectors.load_word2vec_format(str(vectors_path), binary=True)
    pearson, spearman, oov_ratio = kv.evaluate_word_pairs(str(path))
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert 100 * ours.oov_pairs / (ours.pairs + ours.oov_pairs) == pytest.approx(oov_ratio)
