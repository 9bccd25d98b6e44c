"""word2vec: skip-gram and CBOW with negative sampling or hierarchical softmax.

Mikolov et al. 2013 (arXiv:1301.3781, arXiv:1310.4546), with word2vec.c's semantics. The Python
side: tables, initialisation, the epoch loop, progress, checks. The arithmetic is in
:mod:`embedkit.models._w2v_kernels`.

Reproducibility: with ``threads=1`` and a fixed ``seed`` two runs give bit-identical vectors.
With more threads updates race (Hogwild, as word2vec.c and gensim), so runs differ slightly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numba
import numpy as np
from tqdm.auto import tqdm

from .. import signals
from .._random import alias_table, probability_thresholds
from ..config import Word2VecConfig
from ..encode import PreparedCorpus
from ..errors import TrainingError
from ..huffman import build_huffman_tree
from ..vectors import Embeddings
from ..vocab import Vocabulary
from ._checks import require_context_pairs, require_memory, require_words
from ._w2v_kernels import Corpus, Schedule, Tables, learning_rate, train_chunks

#: Chunks handed to one kernel call, per thread; between calls the progress bar is updated.
_CHUNKS_PER_THREAD_PER_CALL = 16


@dataclass
class Word2VecState:
    """Where a word2vec run stands, everything needed to continue it exactly.

    Attributes
    ----------
    syn0 : ndarray, float32 (V, D)
        Input vectors W.
    syn1 : ndarray, float32 (V, D), or (V - 1, D) for hierarchical softmax
        Output vectors C (negative sampling) or inner-node vectors (HS).
    epoch : int
        Epochs completed.
    next_chunk : int
        Chunks of epoch ``epoch`` already trained (0 at an epoch boundary). The random streams
        are seeded per (seed, epoch, chunk), so continuing from here draws what an uninterrupted
        run would have drawn.
    chunk_stats : ndarray, float64 (K, 3)
        Loss, examples and kept words of each chunk of the current epoch.
    epoch_losses : list of float
        Mean loss of each completed epoch.
    kept_words, examples : int
        Totals over the completed epochs.
    seconds : float
        Training wall time so far, all sessions.
    """

    syn0: np.ndarray
    syn1: np.ndarray
    epoch: int = 0
    next_chunk: int = 0
    chunk_stats: np.ndarray | None = None
    epoch_losses: list[float] = field(default_factory=list)
    kept_words: int = 0
    examples: int = 0
    seconds: float = 0.0


@dataclass
class TrainReport:
    """What a training run did.

    Attributes: ``epochs``; ``words`` (corpus tokens processed, all epochs); ``kept_words``
    (tokens left after subsampling); ``examples`` (training examples: (context, centre) pairs
    for skip-gram, centre words for CBOW); ``seconds`` (wall time of the training loop);
    ``epoch_losses`` (mean loss per example, per epoch).
    """

    epochs: int
    words: int
    kept_words: int
    examples: int
    seconds: float
    epoch_losses: list[float]

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("nan")

    def summary(self, name: str, embeddings: Embeddings) -> str:
        """The one-line summary printed at the end of training."""
        return (
            f"{name}: {len(embeddings):,} words x {embeddings.dim} dims, {self.epochs} epochs, "
            f"{self.words:,} words in {self.seconds:.1f} s "
            f"({self.words_per_second / 1e3:.0f}k words/s), final loss {self.epoch_losses[-1]:.4f}"
        )


def initial_vectors(n_words: int, dim: int, seed: int) -> np.ndarray:
    """Input vectors ~ U(-0.5/dim, 0.5/dim), float32 (V, D), as word2vec.c."""
    vectors = np.random.default_rng(seed).random((n_words, dim), dtype=np.float32)
    vectors -= np.float32(0.5)  # in place: no temporary copies of a V x D matrix
    vectors /= np.float32(dim)
    return vectors


def lookup_tables(vocab: Vocabulary, config: Word2VecConfig) -> Tables:
    """Subsampling thresholds, and the noise alias table (NS) or the Huffman paths (HS)."""
    keep = probability_thresholds(vocab.keep_probabilities(config.sample))
    unused_u64, unused_i32 = np.zeros(1, np.uint64), np.zeros(1, np.int32)
    if config.loss == "hs":
        tree = build_huffman_tree(vocab.counts)
        labels = np.where(tree.codes >= 0, 1 - tree.codes, 0).astype(np.int8)
        return Tables(keep, unused_u64, unused_i32, tree.points, labels, tree.lengths)
    threshold, alias = alias_table(vocab.noise_distribution(config.ns_exponent))
    return Tables(keep, threshold, alias, np.zeros((1, 1), np.int32), np.zeros((1, 1), np.int8), unused_i32)


def check_trainable(prepared: PreparedCorpus, config: Word2VecConfig) -> None:
    """What word2vec checks before allocating: two words, a context pair, memory for W, C and
    the output copy.

    Raises
    ------
    CorpusError, ConfigError
    """
    n_words = len(prepared.vocab)
    require_words(prepared.vocab)
    require_context_pairs(prepared.encoded)
    copies = 2 + (config.vectors_out != "input")  # W, C and the output W + C or [W, C]
    require_memory(
        copies * 4 * n_words * config.dim * (1 + (config.vectors_out == "concat")),
        f"the word2vec parameters ({n_words:,} words x {config.dim} dims, float32)",
    )


def initial_state(n_words: int, config: Word2VecConfig) -> Word2VecState:
    """The state before the first update: W ~ U(-0.5/D, 0.5/D), C = 0 (word2vec.c)."""
    syn0 = initial_vectors(n_words, config.dim, config.seed)
    syn1 = np.zeros((n_words - (config.loss == "hs"), config.dim), dtype=np.float32)
    return Word2VecState(syn0, syn1)


def train_word2vec(
    prepared: PreparedCorpus,
    config: Word2VecConfig | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    state: Word2VecState | None = None,
    checkpoint: Callable[[Word2VecState, bool], None] | None = None,
) -> tuple[Embeddings, TrainReport]:
    """Train skip-gram or CBOW word vectors.

    Parameters
    ----------
    prepared : PreparedCorpus
        From :func:`embedkit.encode.prepare_corpus`.
    config : Word2VecConfig, optional
        Architecture, loss and hyper-parameters (word2vec.c defaults).
    progress : bool
        Show a tqdm bar (words/s, learning rate, loss, ETA).
    log : callable, optional
        Receives the end-of-epoch lines.
    state : Word2VecState, optional
        Continue from here (a checkpoint) instead of from :func:`initial_state`; its arrays are
        updated in place. With ``threads=1`` the result is bit-identical to an uninterrupted run.
    checkpoint : callable, optional
        Called as ``checkpoint(state, epoch_end)`` after every kernel call (``epoch_end`` True
        after the last call of an epoch); it decides whether to save.

    Returns
    -------
    embeddings : Embeddings
        Shape (V, dim) float32 — or (V, 2*dim) for ``vectors_out="concat"`` — in vocabulary
        order: the input vectors W, W + C, or [W, C] (``config.vectors_out``).
    report : TrainReport

    Raises
    ------
    CorpusError
        With fewer than two vocabulary words or no line holding two of them.
    ConfigError
        If the parameters (and the output copy) need more memory than is available.
    TrainingError
        If the parameters become NaN or infinite (try a lower ``alpha``).
    """
    config = config or Word2VecConfig()
    vocab, encoded = prepared.vocab, prepared.encoded
    check_trainable(prepared, config)
    chunk_starts = encoded.chunk_starts(config.chunk_words)
    chunk_tokens = encoded.sentence_starts[chunk_starts]
    max_length = encoded.max_sentence_length
    total = encoded.n_tokens
    negative = config.negative if config.loss == "ns" else 0
    schedule = Schedule(
        config.window,
        negative,
        int(config.architecture == "cbow"),
        int(config.cbow_mean),
        config.learning_rate,
        config.final_alpha,
        config.epochs,
        total,
        config.seed,
    )
    tables = lookup_tables(vocab, config)
    state = state or initial_state(len(vocab), config)
    syn0, syn1 = state.syn0, state.syn1
    n_chunks = len(chunk_starts) - 1
    if state.next_chunk >= n_chunks or state.next_chunk < 0:
        raise TrainingError(f"the saved position (chunk {state.next_chunk}) is past this corpus's {n_chunks} chunks")
    if state.chunk_stats is None or state.chunk_stats.shape != (n_chunks, 3):
        state.chunk_stats = np.zeros((n_chunks, 3), dtype=np.float64)
    stats = state.chunk_stats
    threads = config.n_threads
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    per_call = threads * _CHUNKS_PER_THREAD_PER_CALL

    done_before = state.epoch * total + int(chunk_tokens[state.next_chunk])
    resumed_at = time.perf_counter() - state.seconds
    with tqdm(
        total=total * config.epochs,
        initial=done_before,
        unit="w",
        unit_scale=True,
        desc=config.name,
        disable=not progress,
    ) as bar:
        for epoch in range(state.epoch, config.epochs):
            if state.next_chunk == 0:
                stats[:] = 0.0
            for first in range(state.next_chunk, n_chunks, per_call):
                last = min(first + per_call, n_chunks)
                start, stop = int(chunk_tokens[first]), int(chunk_tokens[last])
                corpus = Corpus(encoded.read_ids(start, stop), start, encoded.sentence_starts, chunk_starts, max_length)
                train_chunks(corpus, tables, schedule, epoch, first, last, syn0, syn1, stats)
                bar.set_postfix(
                    epoch=f"{epoch + 1}/{config.epochs}",
                    lr=f"{learning_rate(schedule, epoch, stop):.5f}",
                    loss=f"{stats[:last, 0].sum() / max(stats[:last, 1].sum(), 1):.4f}",
                    refresh=False,
                )
                bar.update(stop - start)
                signals.check()  # a signal whose exception was swallowed (e.g. during compilation)
                if last < n_chunks:
                    state.next_chunk, state.seconds = last, time.perf_counter() - resumed_at
                    if checkpoint:
                        checkpoint(state, False)
            if not (np.isfinite(syn0).all() and np.isfinite(syn1).all()):
                raise TrainingError(
                    f"training diverged in epoch {epoch + 1} (NaN/Inf vectors); "
                    f"lower alpha (now {config.learning_rate})"
                )
            if stats[:, 1].sum() == 0:
                raise TrainingError(
                    f"epoch {epoch + 1} had no training example: subsampling kept {int(stats[:, 2].sum()):,} "
                    f"words (sample={config.sample:g}); raise --sample, or 0 to keep every word"
                )
            epoch_loss = stats[:, 0].sum() / max(stats[:, 1].sum(), 1.0)
            state.epoch_losses.append(float(epoch_loss))
            state.kept_words += int(stats[:, 2].sum())
            state.examples += int(stats[:, 1].sum())
            state.epoch, state.next_chunk, state.seconds = epoch + 1, 0, time.perf_counter() - resumed_at
            if log:
                log(f"epoch {epoch + 1}/{config.epochs}: loss {epoch_loss:.4f}, {int(stats[:, 2].sum()):,} words kept")
            if checkpoint:
                checkpoint(state, True)
    report = TrainReport(
        config.epochs, total * config.epochs, state.kept_words, state.examples, state.seconds, state.epoch_losses
    )
    return Embeddings(vocab.words, output_vectors(syn0, syn1, config.vectors_out)), report


def output_vectors(syn0: np.ndarray, syn1: np.ndarray, which: str) -> np.ndarray:
    """The vectors to write: ``input`` W (V, D), ``sum`` W + C (V, D) or ``concat`` [W, C] (V, 2D)."""
    if which == "input":
        return syn0
    if which == "sum":
        return syn0 + syn1
    return np.hstack([syn0, syn1])
