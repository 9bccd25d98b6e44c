"""Count-based models: PPMI-SVD (Levy, Goldberg & Dagan 2015) and LSA (Deerwester et al. 1990).

Both build a sparse CSR float32 matrix — word x context PPMI, or word x document TF-IDF — and
embed its rows with a truncated SVD (:mod:`embedkit.svd`); nothing dense V x V or V x documents
is ever formed. Each stage's wall time and the peak resident memory after it are recorded in the
report (and logged).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ..config import LSAConfig, PPMIConfig
from ..cooccur import CooccurrenceOptions, cooccurrences_for
from ..datasets import stopwords as load_stopwords
from ..encode import EncodedCorpus, PreparedCorpus
from ..errors import CorpusError, TrainingError
from ..memory import peak_rss_mib
from ..svd import svd_memory_bytes, truncated_svd, weighted
from ..training import CorpusSummary, Report, output_vectors
from ..vectors import Embeddings
from ._checks import require_context_pairs, require_memory, require_words


@dataclass(kw_only=True)
class CountReport(Report):
    """What a count-model run did (besides :class:`embedkit.training.Report`'s fields):
    ``stages``, name -> (wall seconds, peak RSS MiB after the stage), whose seconds add up to
    ``seconds``; ``nnz``, the nonzeros of the factorised matrix. No epochs: ``epoch_losses`` is
    empty."""

    stages: dict[str, tuple[float, float]] = field(default_factory=dict)
    nnz: int = 0

    def details(self) -> str:
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, (seconds, _) in self.stages.items())
        peak = max((mib for _, mib in self.stages.values()), default=0.0)
        return f" from a matrix with {self.nnz:,} nonzeros in {self.seconds:.1f} s ({stages}); peak RSS {peak:.0f} MiB"

    def finish(self, embeddings: Embeddings, prepared: PreparedCorpus) -> tuple[Embeddings, CountReport]:
        """Record the shape of the vectors and the corpus; return both, as the trainers do."""
        self.n_vectors, self.dim = len(embeddings), embeddings.dim
        self.corpus = CorpusSummary.from_prepared(prepared)
        return embeddings, self


class _Stages:
    """Times the stages of a run into a :class:`CountReport` and logs each one."""

    def __init__(self, report: CountReport, log: Callable[[str], None] | None):
        self.report, self.log, self.started = report, log, time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.report.stages[name] = (now - self.started, peak_rss_mib())
        self.report.seconds += now - self.started
        if self.log:
            self.log(f"{name}: {now - self.started:.1f} s, peak RSS {self.report.stages[name][1]:.0f} MiB")
        self.started = now


def _require_svd_memory(n_rows: int, n_cols: int, dim: int, nnz: int = 0) -> None:
    """Refuse an SVD that cannot fit: checked from the shape before counting, and again with the
    matrix's nonzeros once it exists."""
    require_memory(
        svd_memory_bytes(n_rows, n_cols, nnz, dim),
        f"the truncated SVD of a {n_rows:,} x {n_cols:,} matrix with {dim} components",
    )


def _decompose(matrix: sparse.csr_matrix, config, report: CountReport, stages: _Stages, built: str):
    """The stage after building ``matrix`` (named ``built``): record its nonzeros, check the SVD's
    memory, and return :func:`embedkit.svd.truncated_svd`'s (U, S, Vt) with ``config.dim`` and
    ``config.seed``."""
    report.nnz = matrix.nnz
    stages.done(built)
    _require_svd_memory(*matrix.shape, config.dim, matrix.nnz)
    factors = truncated_svd(matrix, config.dim, config.seed)
    stages.done("svd")
    return factors


# ----------------------------------------------------------------------------- PPMI


def ppmi_matrix(counts: sparse.csr_matrix, cds: float = 0.75, shift: int = 1) -> sparse.csr_matrix:
    """Shifted positive PMI with context-distribution smoothing (Levy et al. 2015, eqs. 3-5).

    ``PPMI(w, c) = max(log(#(w,c) / (#(w) * P_cds(c))) - log(shift), 0)`` with ``#(w)`` the row sums,
    ``P_cds(c) = #(c)**cds / sum_c' #(c')**cds`` from the column sums.

    Parameters
    ----------
    counts : csr_matrix (V, C)
        Co-occurrence counts (any float dtype).

    Returns
    -------
    csr_matrix, float32 (V, C), only positive entries stored.
    """
    counts = counts.tocsr()
    row_totals = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    context = np.asarray(counts.sum(axis=0), dtype=np.float64).ravel() ** cds
    context /= context.sum()
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    pmi = np.log(counts.data.astype(np.float64)) - np.log(row_totals[rows]) - np.log(context[counts.indices])
    pmi -= np.log(shift)
    result = sparse.csr_matrix(
        (np.maximum(pmi, 0.0).astype(np.float32), counts.indices.copy(), counts.indptr.copy()), shape=counts.shape
    )
    result.eliminate_zeros()
    return result


def train_ppmi(
    prepared: PreparedCorpus,
    config: PPMIConfig | None = None,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    use_cache: bool = True,
) -> tuple[Embeddings, CountReport]:
    """PPMI-SVD word vectors: counts -> (shifted) PPMI -> truncated SVD -> ``U Σ^eig``.

    Returns
    -------
    embeddings : Embeddings
        float32 (V, dim), or (V, 2*dim) for ``vectors_out="concat"``.
    report : CountReport

    Raises
    ------
    ConfigError
        If ``dim`` is not below the vocabulary size.
    CorpusError
        If no two words share a window.
    TrainingError
        If no cell has a positive (shifted) PMI.
    """
    config = config or PPMIConfig()
    require_words(prepared.vocab)
    require_context_pairs(prepared.encoded)
    _require_svd_memory(len(prepared.vocab), len(prepared.vocab), config.dim)
    report = CountReport(model=config.name)
    stages = _Stages(report, log)
    options = CooccurrenceOptions.of(config)
    counts = cooccurrences_for(prepared, options, config.memory, use_cache, progress, log)
    stages.done("cooccurrence counts (cached)" if counts.from_cache else "cooccurrence counts")
    matrix = ppmi_matrix(counts.to_csr(), config.cds, config.ppmi_shift)
    del counts
    if matrix.nnz == 0:
        raise TrainingError(
            f"the PPMI matrix is empty: no PMI exceeds log(ppmi_shift) = {np.log(config.ppmi_shift):.3g}; "
            "lower --ppmi-shift"
        )
    U, S, Vt = _decompose(matrix, config, report, stages, "ppmi")
    del matrix
    words = weighted(U, S, config.eig)
    contexts = weighted(Vt.T, S, config.eig) if config.vectors_out != "input" else None
    return report.finish(
        Embeddings(prepared.vocab.words, output_vectors(words, contexts, config.vectors_out)), prepared
    )


# ----------------------------------------------------------------------------- LSA


def term_document_counts(encoded: EncodedCorpus, n_words: int, doc_window: int = 0) -> sparse.csr_matrix:
    """Raw term frequencies, csr float32 (V, D): ``tf[w, d]`` = occurrences of word w in document d.

    Documents are the encoded corpus's sentences (lines), or with ``doc_window = N > 0`` the blocks
    of N consecutive tokens (the last one may be shorter).
    """
    ids = encoded.read_ids(0, encoded.n_tokens)
    if doc_window:
        documents = np.arange(ids.shape[0], dtype=np.int64) // doc_window
        n_docs = -(-ids.shape[0] // doc_window)
    else:
        documents = np.repeat(np.arange(encoded.n_sentences, dtype=np.int64), np.diff(encoded.sentence_starts))
        n_docs = encoded.n_sentences
    ones = np.ones(ids.shape[0], dtype=np.float32)
    return sparse.csr_matrix((ones, (ids, documents)), shape=(n_words, n_docs))  # duplicates are summed


def tfidf_matrix(tf: sparse.csr_matrix, sublinear_tf: bool = True, idf: str = "smooth") -> sparse.csr_matrix:
    """TF-IDF weighting of a term-document count matrix (V, D), csr float32; no normalisation
    and no mean subtraction.

    ``tf`` becomes ``1 + log(tf)`` with ``sublinear_tf``; the idf of a word with document
    frequency ``df`` among ``D`` documents is ``log((1 + D) / (1 + df)) + 1`` (``"smooth"``,
    scikit-learn's default), ``log(D / df)`` (``"plain"``) or 1 (``"none"``).
    """
    weighted_tf = tf.astype(np.float32, copy=True).tocsr()
    if sublinear_tf:
        weighted_tf.data = (1.0 + np.log(weighted_tf.data)).astype(np.float32)
    n_docs = tf.shape[1]
    df = np.diff(tf.tocsr().indptr).astype(np.float64)  # nonzeros per row = documents containing the word
    if idf == "smooth":
        factors = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    elif idf == "plain":
        factors = np.log(n_docs / np.maximum(df, 1.0))
    else:
        factors = np.ones_like(df)
    return sparse.csr_matrix(sparse.diags(factors.astype(np.float32)) @ weighted_tf, dtype=np.float32)


def train_lsa(
    prepared: PreparedCorpus,
    config: LSAConfig | None = None,
    *,
    log: Callable[[str], None] | None = None,
) -> tuple[Embeddings, CountReport]:
    """LSA word vectors: TF-IDF term-document matrix -> truncated SVD -> ``U Σ^eig``.

    Returns
    -------
    embeddings : Embeddings
        float32 (V', dim) for the V' vocabulary words that are not stopwords.
    report : CountReport

    Raises
    ------
    CorpusError
        If every word is a stopword.
    ConfigError
        If ``dim`` is not below the number of words or of documents.
    """
    config = config or LSAConfig()
    require_words(prepared.vocab)
    n_docs = -(-prepared.encoded.n_tokens // config.doc_window) if config.doc_window else prepared.encoded.n_sentences
    if n_docs < 2:
        raise CorpusError(
            f"LSA needs at least two documents, the corpus makes {n_docs}"
            + ("; lower --doc-window" if config.doc_window else "")
        )
    _require_svd_memory(len(prepared.vocab), n_docs, config.dim)
    report = CountReport(model=config.name)
    stages = _Stages(report, log)
    words = prepared.vocab.words
    stop = load_stopwords(config.stopwords)
    keep = np.array([w not in stop for w in words])
    if not keep.any():
        raise CorpusError("every vocabulary word is a stopword")
    tf = term_document_counts(prepared.encoded, len(words), config.doc_window)[keep]
    if log:
        log(f"{tf.shape[1]:,} documents, {int(keep.sum()):,} words after stopword removal")
    stages.done("term-document counts")
    matrix = tfidf_matrix(tf, config.sublinear_tf, config.idf)
    del tf
    U, S, _ = _decompose(matrix, config, report, stages, "tf-idf")
    del matrix
    kept_words = [w for w, k in zip(words, keep) if k]
    return report.finish(Embeddings(kept_words, weighted(U, S, config.eig)), prepared)
