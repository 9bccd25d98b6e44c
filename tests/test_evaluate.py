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


@pytest.mark.parametrize("restrict", [pytest.param(30_000, marks=pytest.mark.slow), 1500])
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


@pytest.fixture(scope="module")
def wiki_vectors(wiki_slice, tmp_path_factory):
    """SGNS vectors trained on the Wikipedia slice (min_count 20: about 5,000 words, so that gensim's
    one-query-at-a-time evaluation stays short), as a word2vec binary file."""
    from embedkit.config import Word2VecConfig
    from embedkit.encode import prepare_corpus
    from embedkit.models.word2vec import train_word2vec
    from embedkit.vocab import VocabOptions

    prepared = prepare_corpus([wiki_slice], vocab_options=VocabOptions(min_count=20), use_cache=False)
    embeddings, _ = train_word2vec(prepared, Word2VecConfig(dim=50, epochs=3, threads=2, seed=5), progress=False)
    path = tmp_path_factory.mktemp("wiki-vectors") / "sgns.bin"
    embeddings.save(path)
    return path


@pytest.mark.parametrize("restrict", [30_000, 2000])
def test_analogy_matches_gensim_on_trained_vectors(wiki_vectors, restrict):
    """The default restriction (here the whole vocabulary) and one that skips most questions."""
    _, path = dataset_path("google-analogy")
    ours = evaluate_analogy(Embeddings.load(wiki_vectors), path, restrict_vocab=restrict)
    kv = gensim_kv.KeyedVectors.load_word2vec_format(str(wiki_vectors), binary=True)
    score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict)
    assert ours.correct > 20
    assert ours.accuracy == score
    theirs = [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]]
    assert ours.sections == theirs
    assert ours.oov_questions == 19544 - ours.questions


def _unit(*components):
    v = np.zeros(6)
    for axis, value in components:
        v[axis] = value
    return v / np.linalg.norm(v)


# Two problems in orthogonal subspaces of 6 dimensions (each vector a sum of axes, normalised).
# "a b c d": 3CosAdd scores cos(x, b) - cos(x, a) + cos(x, c): d = (b + c)/sqrt2 scores sqrt2,
# f = (a + b)/sqrt2 scores 0; "A" (a's case variant) and "top" (outside the restricted vocabulary),
# both (b + c - a)/sqrt3, would score sqrt3 and beat d. "a2 b2 c2 d2": the best candidate is "D2",
# d2's case variant, which counts as d2. 3CosMul ranks these candidates the same way.
EXACT_WORDS = {
    "a": _unit((0, 1)),
    "b": _unit((1, 1)),
    "c": _unit((2, 1)),
    "d": _unit((1, 1), (2, 1)),
    "f": _unit((0, 1), (1, 1)),
    "a2": _unit((3, 1)),
    "b2": _unit((4, 1)),
    "c2": _unit((5, 1)),
    "d2": _unit((4, 1), (5, 1)),
    "A": _unit((0, -1), (1, 1), (2, 1)),
    "D2": _unit((3, -1), (4, 1), (5, 1)),
    "z": _unit((0, 1), (3, 1)),  # rows 11 and 12: outside restrict_vocab=11
    "top": _unit((0, -1), (1, 1), (2, 1)),
}
EXACT_QUESTIONS = (
    ": first\n"
    "a b c d\n"  # right: A is excluded as a's case variant, top lies outside the restriction
    "a b c f\n"  # wrong: d beats f
    "a b c z\n"  # skipped: the answer is outside the restriction
    "a z c d\n"  # skipped: a question word is outside the restriction
    "a b c unknown\n"  # skipped: not in the vocabulary
    ": second\n"
    "a2 b2 c2 d2\n"  # right: D2 wins and has d2's key
)


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
@pytest.mark.parametrize(
    "case_insensitive,expected",
    [(True, [("first", 1, 2), ("second", 1, 1)]), (False, [("first", 0, 2), ("second", 0, 1)])],
    ids=["case-insensitive", "case-sensitive"],
)
def test_analogy_exact_small_case(tmp_path, method, case_insensitive, expected):
    """Known answers; case-sensitive, A and D2 are words of their own: A wins the first, D2 the last."""
    questions = tmp_path / "q.txt"
    questions.write_text(EXACT_QUESTIONS)
    vectors = tmp_path / "v.bin"
    Embeddings(list(EXACT_WORDS), np.array(list(EXACT_WORDS.values()), dtype=np.float32)).save(vectors)
    ours = evaluate_analogy(
        Embeddings.load(vectors), questions, restrict_vocab=11, method=method, case_insensitive=case_insensitive
    )
    assert ours.sections == expected
    assert (ours.questions, ours.oov_questions) == (3, 3)
    kv = gensim_kv.KeyedVectors.load_word2vec_format(str(vectors), binary=True)
    if method == "3cosadd":
        _, sections = kv.evaluate_word_analogies(str(questions), restrict_vocab=11, case_insensitive=case_insensitive)
        theirs = [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]]
        assert theirs == expected
    elif case_insensitive:
        assert gensim_cosmul_analogies(kv, questions, 11) == expected


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
def test_analogy_answers_do_not_depend_on_tiles_and_batches(structured_vectors, monkeypatch, method):
    import embedkit.evaluate

    _, path = dataset_path("google-analogy")
    embeddings = Embeddings.load(structured_vectors)
    whole = evaluate_analogy(embeddings, path, method=method)
    monkeypatch.setattr(embedkit.evaluate, "_TILE_BYTES", 1)  # tiles of 128 candidates
    assert len(embeddings) > 5 * 128
    assert evaluate_analogy(embeddings, path, method=method).sections == whole.sections
