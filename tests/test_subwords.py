"""Subword (fastText) vectors: n-grams and bucket ids, composition, the deferred-row kernel,
the n-gram file beside the vectors, words outside the vocabulary in queries and evaluation."""

import numpy as np
import pytest

from embedkit.config import Word2VecConfig
from embedkit.datasets import dataset_path
from embedkit.encode import prepare_corpus
from embedkit.errors import ConfigError, VectorsFormatError
from embedkit.evaluate import evaluate_similarity
from embedkit.huffman import build_huffman_tree
from embedkit.models.word2vec import initial_state, train_word2vec
from embedkit.subwords import Subwords, SubwordSpec, compose, ngrams_path, read_ngrams, subword_rows
from embedkit.vectors import Embeddings
from embedkit.vocab import VocabOptions

#: Bucket ids fastText 0.9.2 gives these n-grams with -bucket 2000000 (``get_subwords`` less
#: nwords), including multi-byte UTF-8 (its hash sign-extends bytes >= 0x80).
FASTTEXT_BUCKETS = {
    "<wh": 167652,
    "where>": 121234,
    "ere": 1529033,
    "<üb": 1793082,
    "über>": 1599331,
    "<東京>": 106169,
    "東京>": 163715,
    "nning>": 1632151,
    "<naïve": 933201,
    "ïve>": 1788548,
}


def test_bucket_ids_equal_fasttexts():
    spec = SubwordSpec(3, 6, 2_000_000)
    assert {g: spec.bucket(g) for g in FASTTEXT_BUCKETS} == FASTTEXT_BUCKETS


@pytest.mark.parametrize("word", ["where", "über", "東京", "a", "naïve", "x√y"])
@pytest.mark.parametrize("minn,maxn", [(3, 6), (1, 2), (2, 4), (5, 5)])
def test_kernel_lists_the_ngrams_of_the_reference_in_order(word, minn, maxn):
    spec = SubwordSpec(minn, maxn, 2_000_000)
    starts, rows = subword_rows([word], spec, first_bucket_row=10, own_rows=True)
    assert rows[0] == 0  # the word's own row first
    assert list(rows[1:] - 10) == [spec.bucket(g) for g in spec.ngrams(word)]
    lone_marks = {"<", ">"}
    assert not lone_marks & set(spec.ngrams(word))
    assert all(minn <= len(g) <= maxn for g in spec.ngrams(word))


def test_fasttext_package_agrees_on_whole_words(tmp_path):
    fasttext = pytest.importorskip("fasttext")
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat über naïve 東京 sat\n" * 50, encoding="utf-8")
    model = fasttext.train_unsupervised(str(corpus), dim=4, epoch=1, minCount=1, bucket=5000, thread=1, verbose=0)
    spec = SubwordSpec(3, 6, 5000)
    for word in ["über", "unseen", "東京タワー", "naïvely"]:
        _, ids = model.get_subwords(word)
        theirs = [i - len(model.words) for i in ids if i >= len(model.words)]
        assert list(subword_rows([word], spec, 0, own_rows=False)[1]) == theirs


def test_compose_is_the_mean_of_the_rows_and_zero_without_rows():
    matrix = np.arange(12, dtype=np.float32).reshape(6, 2)
    starts = np.array([0, 3, 3, 4])
    rows = np.array([0, 2, 5, 1], dtype=np.int32)
    out = compose(matrix, starts, rows)
    np.testing.assert_allclose(out, [matrix[[0, 2, 5]].mean(axis=0), [0, 0], matrix[1]], rtol=1e-6)


def test_oov_vector_is_the_mean_of_its_ngram_rows():
    spec = SubwordSpec(3, 4, 97)
    ngrams = np.random.default_rng(0).standard_normal((97, 5)).astype(np.float32)
    subwords = Subwords(spec, ngrams)
    expected = ngrams[[spec.bucket(g) for g in spec.ngrams("cats")]].mean(axis=0)
    np.testing.assert_allclose(subwords.vectors(["cats"])[0], expected, rtol=1e-6)
    assert spec.ngrams("a") == ["<a>"]
    np.testing.assert_array_equal(subwords.vectors(["a"])[0], ngrams[spec.bucket("<a>")])
    assert not Subwords(SubwordSpec(5, 6, 97), ngrams).vectors(["ab"]).any()  # "<ab>" is too short


@pytest.mark.parametrize(
    "options,message",
    [
        ({"minn": 7, "maxn": 6}, "minn=7 exceeds maxn=6"),
        ({"maxn": 6, "buckets": 0}, "buckets must be in"),
        ({"buckets": 0}, "buckets must be in"),
        ({"maxn": -1}, "maxn must be in"),
        ({"maxn": 6, "vectors_out": "sum"}, "does not apply to subword models"),
        ({"maxn": 6, "architecture": "cbow", "cbow_mean": False}, "--cbow-sum does not apply"),
    ],
)
def test_bad_subword_settings_are_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        Word2VecConfig(**options)


def test_one_step_reaches_every_row_of_the_word_unscaled(tmp_path):
    """Two words, one sentence, hierarchical softmax (deterministic targets), window 1: the
    kernel's result equals the steps of fastText's update written out in numpy."""
    corpus = tmp_path / "two.txt"
    corpus.write_text("aaaa bbbb\n", encoding="utf-8")
    prepared = prepare_corpus([corpus], vocab_options=VocabOptions(min_count=1), use_cache=False)
    words = prepared.vocab.words
    config = Word2VecConfig(
        loss="hs", dim=4, window=1, sample=0, epochs=1, threads=1, alpha=0.5, minn=2, maxn=3, buckets=1000
    )
    state = initial_state(len(words), config)
    start = state.syn0.copy()
    starts, rows = subword_rows(words, config.subwords, len(words))
    row_sets = [set(rows[starts[w] : starts[w + 1]]) for w in range(2)]
    assert not row_sets[0] & row_sets[1]  # no bucket shared: the deferral changes nothing here
    train_word2vec(prepared, config, progress=False, state=state)

    tree = build_huffman_tree(prepared.vocab.counts)
    syn0, node = start.copy(), np.zeros(4, dtype=np.float64)
    sentence = [words.index("aaaa"), words.index("bbbb")]
    for centre, context in ((sentence[0], sentence[1]), (sentence[1], sentence[0])):
        mine = rows[starts[context] : starts[context + 1]]
        vector = syn0[mine].astype(np.float64).mean(axis=0)
        label = 1 - tree.codes[centre, 0]
        gain = 0.5 * (label - 1 / (1 + np.exp(-vector @ node)))
        step = gain * node
        node = node + gain * vector
        np.add.at(syn0, mine, step.astype(np.float32))  # a repeated n-gram (aaa in <aaaa>) counts twice, as in fastText
    # rtol 2e-2: the kernel's sigmoid is word2vec.c's 1000-entry table, the reference's is exact
    np.testing.assert_allclose(state.syn0 - start, syn0 - start, rtol=2e-2, atol=1e-7)
    np.testing.assert_allclose(state.syn1[0], node, rtol=2e-2, atol=1e-7)
    assert np.abs(state.syn0 - start).max() > 1e-3  # the second step moved the rows of its context


@pytest.fixture(scope="module")
def subword_model(wiki_slice):
    prepared = prepare_corpus([wiki_slice], use_cache=False)
    config = Word2VecConfig(minn=3, maxn=6, buckets=200_000, alpha=0.05, sample=1e-4, epochs=3, seed=5)
    return train_word2vec(prepared, config, progress=False)


def test_subword_model_learns_and_gives_misspellings_their_word(subword_model):
    embeddings, report = subword_model
    assert report.model == "sgns-subword"
    assert embeddings.subwords is not None and embeddings.subwords.ngrams.shape == (200_000, 100)
    # measured: WS-353 0.33-0.35 on this 900k-token slice (3 epochs); untrained vectors ~0
    assert evaluate_similarity(embeddings, dataset_path("wordsim353")[1]).spearman > 0.25
    assert "governmentt" not in embeddings
    assert "government" in [w for w, _ in embeddings.most_similar(["governmentt"], topn=5)]
    assert embeddings.similarity("presidents", "president") > 0.5


def test_subword_runs_with_one_thread_are_bit_reproducible(wiki_slice, tmp_path):
    lines = wiki_slice.read_text(encoding="utf-8").splitlines()[:1500]
    small = tmp_path / "s.txt"
    small.write_text("\n".join(lines), encoding="utf-8")
    prepared = prepare_corpus([small], use_cache=False)
    for architecture in ("skipgram", "cbow"):
        config = Word2VecConfig(architecture=architecture, minn=3, maxn=5, buckets=5000, dim=16, epochs=1, threads=1)
        first = train_word2vec(prepared, config, progress=False)[0]
        second = train_word2vec(prepared, config, progress=False)[0]
        np.testing.assert_array_equal(first.vectors, second.vectors)
        np.testing.assert_array_equal(first.subwords.ngrams, second.subwords.ngrams)


def test_ngram_file_round_trip_and_refusals(tmp_path, subword_model):
    embeddings, _ = subword_model
    path = tmp_path / "v.bin"
    embeddings.save(path)
    loaded = Embeddings.load(path)
    np.testing.assert_array_equal(loaded.subwords.ngrams, embeddings.subwords.ngrams)
    np.testing.assert_allclose(loaded.vector("governmentt"), embeddings.vector("governmentt"))
    assert Embeddings.load(path, subwords=False).subwords is None
    assert Embeddings.load(path, limit=100).subwords is not None
    other = Embeddings(embeddings.words[::-1], embeddings.vectors)
    with pytest.raises(VectorsFormatError, match="belong to other vectors"):
        read_ngrams(ngrams_path(path), other.words, other.dim)
    sidecar = ngrams_path(path)
    data = sidecar.read_bytes()
    sidecar.write_bytes(data[:-4])
    with pytest.raises(VectorsFormatError, match="truncated"):
        Embeddings.load(path)
    sidecar.write_bytes(b"garbage" * 10)
    with pytest.raises(VectorsFormatError, match="not an embedkit n-gram file"):
        Embeddings.load(path)
    Embeddings(embeddings.words, embeddings.vectors).save(path)  # no subwords: the stale file goes
    assert not sidecar.exists()
