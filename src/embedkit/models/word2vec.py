"""Skip-gram with negative sampling (Mikolov et al. 2013, arXiv:1310.4546), word2vec.c semantics.

The Python side: tables, initialisation, the epoch loop, progress, checks. The arithmetic is in
:mod:`embedkit.models._w2v_kernels`.

Reproducibility: with ``threads=1`` and a fixed ``seed`` two runs give bit-identical vectors.
With more threads updates race (Hogwild, as word2vec.c and gensim), so runs differ slightly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
from tqdm.auto import tqdm

from .._random import alias_table, probability_thresholds
from ..config import Word2VecConfig
from ..encode import PreparedCorpus
from ..errors import TrainingError
from ..vectors import Embeddings
from ._w2v_kernels import Corpus, Sampling, Schedule, learning_rate, train_skipgram_chunks

#: Chunks handed to one kernel call, per thread; between calls the progress bar is updated.
_CHUNKS_PER_THREAD_PER_CALL = 16


@dataclass
class TrainReport:
    """What a training run did.

    Attributes: ``epochs``; ``words`` (corpus tokens processed, all epochs); ``kept_words``
    (tokens left after subsampling); ``pairs`` ((centre, context) pairs trained);
    ``seconds`` (wall time of the training loop); ``epoch_losses`` (mean loss per pair,
    per epoch).
    """

    epochs: int
    words: int
    kept_words: int
    pairs: int
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
    rng = np.random.default_rng(seed)
    return ((rng.random((n_words, dim), dtype=np.float32) - np.float32(0.5)) / np.float32(dim)).astype(np.float32)


def sampling_tables(prepared: PreparedCorpus, config: Word2VecConfig) -> Sampling:
    """Subsampling thresholds and the noise alias table for ``prepared.vocab``."""
    vocab = prepared.vocab
    threshold, alias = alias_table(vocab.noise_distribution(config.ns_exponent))
    return Sampling(probability_thresholds(vocab.keep_probabilities(config.sample)), threshold, alias)


def train_sgns(
    prepared: PreparedCorpus,
    config: Word2VecConfig | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> tuple[Embeddings, TrainReport]:
    """Train skip-gram with negative sampling.

    Parameters
    ----------
    prepared : PreparedCorpus
        From :func:`embedkit.encode.prepare_corpus`.
    config : Word2VecConfig, optional
    progress : bool
        Show a tqdm bar (words/s, learning rate, loss, ETA).
    log : callable, optional
        Receives the end-of-epoch lines.

    Returns
    -------
    embeddings : Embeddings
        The input vectors W, shape (V, dim), float32, in vocabulary order.
    report : TrainReport

    Raises
    ------
    TrainingError
        If the parameters become NaN or infinite (try a lower ``alpha``).
    """
    config = config or Word2VecConfig()
    vocab, encoded = prepared.vocab, prepared.encoded
    chunk_starts = encoded.chunk_starts(config.chunk_words)
    chunk_tokens = encoded.sentence_starts[chunk_starts]
    max_length = encoded.max_sentence_length
    total = encoded.n_tokens
    schedule = Schedule(
        config.window, config.negative, config.alpha, config.final_alpha, config.epochs, total, config.seed
    )
    sampling = sampling_tables(prepared, config)
    syn0 = initial_vectors(len(vocab), config.dim, config.seed)
    syn1 = np.zeros_like(syn0)
    n_chunks = len(chunk_starts) - 1
    stats = np.zeros((n_chunks, 3), dtype=np.float64)
    threads = config.n_threads
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    per_call = threads * _CHUNKS_PER_THREAD_PER_CALL

    losses = []
    kept = pairs_total = 0
    started = time.perf_counter()
    with tqdm(total=total * config.epochs, unit="w", unit_scale=True, desc="sgns", disable=not progress) as bar:
        for epoch in range(config.epochs):
            stats[:] = 0.0
            for first in range(0, n_chunks, per_call):
                last = min(first + per_call, n_chunks)
                start, stop = int(chunk_tokens[first]), int(chunk_tokens[last])
                corpus = Corpus(encoded.read_ids(start, stop), start, encoded.sentence_starts, chunk_starts, max_length)
                train_skipgram_chunks(corpus, sampling, schedule, epoch, first, last, syn0, syn1, stats)
                pairs = stats[:last, 1].sum()
                bar.set_postfix(
                    epoch=f"{epoch + 1}/{config.epochs}",
                    lr=f"{learning_rate(schedule, epoch, stop):.5f}",
                    loss=f"{stats[:last, 0].sum() / max(pairs, 1):.4f}",
                    refresh=False,
                )
                bar.update(stop - start)
            if not (np.isfinite(syn0).all() and np.isfinite(syn1).all()):
                raise TrainingError(
                    f"training diverged in epoch {epoch + 1} (NaN/Inf vectors); lower alpha (now {config.alpha})"
                )
            epoch_loss = stats[:, 0].sum() / max(stats[:, 1].sum(), 1.0)
            losses.append(float(epoch_loss))
            kept += int(stats[:, 2].sum())
            pairs_total += int(stats[:, 1].sum())
            if log:
                log(f"epoch {epoch + 1}/{config.epochs}: loss {epoch_loss:.4f}, {int(stats[:, 2].sum()):,} words kept")
    report = TrainReport(config.epochs, total * config.epochs, kept, pairs_total, time.perf_counter() - started, losses)
    return Embeddings(vocab.words, syn0), report

