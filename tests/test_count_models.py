"""PPMI-SVD and LSA: matrices against brute-force NumPy, the SVD against numpy.linalg.svd,
gensim interop, options and quality on real text."""

import numpy as np
import pytest
from scipy import sparse

from conftest import synthetic_lines
from embedkit.config import LSAConfig, PPMIConfig
from embedkit.cooccur import CooccurrenceOptions, count_cooccurrences
from embedkit.datasets import dataset_path, stopwords
from embedkit.encode import prepare_corpus
from embedkit.errors import ConfigError, EmbedkitError, TrainingError
from embedkit.evaluate import evaluate_analogy, evaluate_similarity
from embedkit.models.count import ppmi_matrix, term_document_counts, tfidf_matrix, train_lsa, train_ppmi
from embedkit.svd import truncated_svd
from embedkit.vocab import VocabOptions


@pytest.fixture(scope="module")
def wiki_small(tmp_path_factory):
    """300 lines of synthetic Zipf text (~23,000 tokens), words seen at least twice."""
    path = tmp_path_factory.mktemp("count") / "wiki300.txt"
    path.write_text("".join(synthetic_lines(300)), encoding="utf-8")
    return prepare_corpus([path], vocab_options=VocabOptions(min_count=2), use_cache=False)


@pytest.mark.parametrize("cds,neg", [(0.75, 1), (1.0, 5)])
def test_ppmi_equals_a_dense_numpy_computation(wiki_small, cds, neg):
    counts = count_cooccurrences(
        wiki_small.encoded,
        len(wiki_small.vocab),
        CooccurrenceOptions(window=5, distance_weighting=False),
        progress=False,
    ).to_csr()
    X = counts.toarray().astype(np.float64)
    context = X.sum(axis=0) ** cds
    context /= context.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(X) - np.log(X.sum(axis=1, keepdims=True)) - np.log(context[None, :])
    expected = np.where(X > 0, np.maximum(pmi - np.log(neg), 0.0), 0.0)
    result = ppmi_matrix(counts, cds, neg)
    assert result.dtype == np.float32 and np.all(result.data > 0)
    np.testing.assert_allclose(result.toarray(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("doc_window", [0, 50])
@pytest.mark.parametrize("sublinear,idf", [(True, "smooth"), (False, "plain"), (True, "none")])
def test_tfidf_equals_a_brute_force_computation(wiki_small, doc_window, sublinear, idf):
    ids = wiki_small.encoded.read_ids(0, wiki_small.encoded.n_tokens)
    starts = wiki_small.encoded.sentence_starts
    if doc_window:
        documents = [ids[k : k + doc_window] for k in range(0, len(ids), doc_window)]
    else:
        documents = [ids[starts[s] : starts[s + 1]] for s in range(len(starts) - 1)]
    V, D = len(wiki_small.vocab), len(documents)
    tf = np.zeros((V, D))
    for d, doc in enumerate(documents):
        for w in doc:
            tf[w, d] += 1
    df = (tf > 0).sum(axis=1)
    factor = {"smooth": np.log((1 + D) / (1 + df)) + 1, "plain": np.log(D / df), "none": np.ones(V)}[idf]
    with np.errstate(divide="ignore"):
        weighted_tf = np.where(tf > 0, 1 + np.log(tf), 0.0) if sublinear else tf
    counts = term_document_counts(wiki_small.encoded, V, doc_window)
    np.testing.assert_array_equal(counts.toarray(), tf)
    result = tfidf_matrix(counts, sublinear, idf)
    assert result.dtype == np.float32 and result.shape == (V, D)
    np.testing.assert_allclose(result.toarray(), factor[:, None] * weighted_tf, rtol=1e-5, atol=1e-6)


def test_truncated_svd_matches_numpy_up_to_sign():
    """A block as wide as the matrix spans it: the randomized SVD is exact up to float32 rounding."""
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(60, 40)) * (rng.random((60, 40)) < 0.3)
    U, S, Vt = truncated_svd(sparse.csr_matrix(dense), 8)
    U_ref, S_ref, Vt_ref = np.linalg.svd(dense)
    np.testing.assert_allclose(S, S_ref[:8], rtol=1e-5)
    signs = np.sign(np.sum(U * U_ref[:, :8], axis=0))
    np.testing.assert_allclose(U, U_ref[:, :8] * signs, atol=1e-4)
    np.testing.assert_allclose(Vt, Vt_ref[:8] * signs[:, None], atol=1e-4)
    assert np.all(U[np.abs(U).argmax(axis=0), np.arange(8)] > 0)  # sign convention
    np.testing.assert_array_equal(truncated_svd(sparse.csr_matrix(dense), 8)[0], U)  # seeded
    with pytest.raises(ConfigError, match="dim must be at most 39"):
        truncated_svd(sparse.csr_matrix(dense), 40)


def test_sparse_product_over_balanced_row_blocks_equals_scipy():
    """Rows skewed as frequency-ordered word rows (row i holds about 2000/(i+1) nonzeros): the
    blocks cover every row once, in order, with about equal nonzeros, and the parallel product
    equals SciPy's."""
    from embedkit._sparse_kernels import csr_times_dense, row_blocks

    rng = np.random.default_rng(5)
    n = 3000
    per_row = np.maximum(1, (2000 / np.arange(1, n + 1)).astype(int))
    rows = np.repeat(np.arange(n), per_row)
    matrix = sparse.csr_matrix(
        (rng.standard_normal(rows.size).astype(np.float32), (rows, rng.integers(0, n, rows.size))), shape=(n, n)
    )
    blocks = row_blocks(matrix.indptr, 16)
    assert blocks[0] == 0 and blocks[-1] == n and np.all(np.diff(blocks) > 0)
    block_nnz = np.diff(matrix.indptr[blocks])
    assert block_nnz.max() <= matrix.nnz / 16 + np.diff(matrix.indptr).max()
    dense = rng.standard_normal((n, 7)).astype(np.float32)
    out = np.full((n, 7), np.nan, dtype=np.float32)
    csr_times_dense(matrix.indptr, matrix.indices, matrix.data, dense, out, blocks)
    np.testing.assert_allclose(out, matrix @ dense, rtol=1e-4, atol=1e-4)


def test_randomized_svd_finds_the_top_of_a_slowly_decaying_spectrum():
    """A 1000 x 600 matrix with singular values 1/sqrt(i), PPMI-like in decaying slowly: k=20 with a
    block of 20 + 40 columns and 4 power iterations recovers the top singular values to 1% and
    the top singular vectors to a cosine above 0.99 (Halko et al. 2011's bound tightens with the
    power iterations; none misses by far more)."""
    rng = np.random.default_rng(3)
    left, _ = np.linalg.qr(rng.standard_normal((1000, 600)))
    right, _ = np.linalg.qr(rng.standard_normal((600, 600)))
    S_ref = 1.0 / np.sqrt(np.arange(1, 601))
    U_ref, Vt_ref = left, right.T
    matrix = (U_ref * S_ref) @ Vt_ref
    U, S, Vt = truncated_svd(matrix, 20)
    np.testing.assert_allclose(S, S_ref[:20], rtol=0.01)
    assert np.all(np.abs(np.sum(U[:, :5] * U_ref[:, :5], axis=0)) > 0.99)
    assert np.all(np.abs(np.sum(Vt[:5] * Vt_ref[:5], axis=1)) > 0.99)
    _, S_rough, _ = truncated_svd(matrix, 20, power_iterations=0, oversample=0)
    assert np.abs(S_rough / S_ref[:20] - 1).max() > 0.05


def test_ppmi_vectors_weighting_and_gensim_interop(wiki_small, tmp_path):
    from gensim.models import KeyedVectors

    plain, report = train_ppmi(wiki_small, PPMIConfig(dim=20, eig=0.0), progress=False)
    weighted, _ = train_ppmi(wiki_small, PPMIConfig(dim=20, eig=1.0), progress=False)
    norms = np.linalg.norm(plain.vectors, axis=0)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-4)  # columns of U are orthonormal
    assert np.all(np.diff(np.linalg.norm(weighted.vectors, axis=0)) < 1e-3)  # scaled by descending S
    assert set(report.stages) == {"cooccurrence counts", "ppmi", "svd"} and report.nnz > 0
    both, _ = train_ppmi(wiki_small, PPMIConfig(dim=20, vectors_out="concat"), progress=False)
    assert both.dim == 40
    out = tmp_path / "ppmi.bin"
    plain.save(out)
    loaded = KeyedVectors.load_word2vec_format(str(out), binary=True)
    np.testing.assert_array_equal(loaded.vectors, plain.vectors)
    assert loaded.index_to_key == plain.words


def test_lsa_drops_stopwords_and_reads_a_stopword_file(wiki_small, tmp_path):
    english, _ = train_lsa(wiki_small, LSAConfig(dim=10))
    assert "the" not in english and "of" not in english and "w15" in english
    assert len(english) == len(wiki_small.vocab) - len(stopwords("english") & set(wiki_small.vocab.words))
    listed = tmp_path / "stop.txt"
    listed.write_text("# mine\nw15\n", encoding="utf-8")
    custom, _ = train_lsa(wiki_small, LSAConfig(dim=10, stopwords=str(listed), doc_window=100))
    assert "w15" not in custom and "the" in custom
    with pytest.raises(EmbedkitError, match="cannot read stopword list"):
        train_lsa(wiki_small, LSAConfig(dim=10, stopwords=str(tmp_path / "missing.txt")))


@pytest.fixture(scope="module")
def wiki_prepared(wiki_slice):
    return prepare_corpus([wiki_slice], use_cache=False)


# Calibrated on this 840k-token slice (dim 100, min_count 5): PPMI-SVD (window 5, cds 0.75, eig 0.5)
# gives WS-353 rho 0.585 and analogy accuracy 0.114; LSA with line documents WS-353 0.525. The SVD
# is deterministic (seeded); the margins cover BLAS and platform differences. Untrained: ~0.
def test_quality_on_real_wikipedia_text(wiki_prepared):
    ppmi, _ = train_ppmi(wiki_prepared, PPMIConfig(), progress=False)
    lsa, _ = train_lsa(wiki_prepared, LSAConfig())
    ws = dataset_path("wordsim353")[1]
    assert evaluate_similarity(ppmi, ws).spearman > 0.52
    assert evaluate_analogy(ppmi, dataset_path("google-analogy")[1]).accuracy > 0.08
    assert evaluate_similarity(lsa, ws).spearman > 0.45


def test_a_shift_that_removes_every_cell_is_reported(wiki_small):
    with pytest.raises(TrainingError, match="the PPMI matrix is empty.*lower --ppmi-shift"):
        train_ppmi(wiki_small, PPMIConfig(dim=5, ppmi_shift=10**9), progress=False)
