"""word2vec: skip-gram and CBOW with negative sampling or hierarchical softmax, with or without
subwords.

Mikolov et al. 2013 (arXiv:1301.3781, arXiv:1310.4546), with word2vec.c's semantics; with
``maxn > 0`` the input vectors are fastText's (Bojanowski et al. 2017): a word's vector is the
mean of its own row and its character n-grams' bucket rows (:mod:`embedkit.subwords`), W then has
V + buckets rows, initialised U(-1/D, 1/D) as fastText's, and the written vectors are the
composed ones (what fastText's ``.vec`` holds) with the bucket rows beside them. The Python side:
tables, initialisation, the epoch loop, progress, checks. The arithmetic is in
:mod:`embedkit.models._w2v_kernels` and :mod:`embedkit.models._subword_kernels`.

Reproducibility: with ``threads=1`` and a fixed ``seed`` two runs give bit-identical vectors.
With more threads updates race (Hogwild, as word2vec.c and gensim), so runs differ slightly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._kernel_inputs import check_inputs
from .._random import alias_table, probability_thresholds
from ..config import Word2VecConfig
from ..continued import grown_rows
from ..encode import EncodedCorpus, PreparedCorpus
from ..errors import ConfigError, TrainingError
from ..huffman import build_huffman_tree
from ..subwords import Subwords, compose, subword_rows
from ..training import CorpusSummary, Report, output_vectors
from ..vectors import Embeddings
from ..vocab import Vocabulary
from ._checks import require_context_pairs, require_memory, require_words
from ._epochs import EpochLoop
from ._subword_kernels import SubwordTable, train_subword_chunks
from ._w2v_kernels import Corpus, Schedule, Tables, learning_rate, private_nodes, train_chunks

#: Chunks handed to one kernel call, per thread; between calls the progress bar is updated.
_CHUNKS_PER_THREAD_PER_CALL = 16

#: An epoch whose loss per example exceeds this many times the untrained loss has diverged,
#: even with finite numbers (hierarchical softmax at a too high alpha: 1,500 against 5; the
#: plain sum of 4 cluster replicas: 4.7e30).
_DIVERGED_FACTOR = 10


@dataclass
class Word2VecState:
    """Where a word2vec run stands, everything needed to continue it exactly.

    Attributes
    ----------
    syn0 : ndarray, float32 (V, D), or (V + buckets, D) with subwords
        Input vectors W (word rows, then bucket rows).
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

    #: What a part of an epoch is (``embedkit info``); the model directory holds W and C, about
    #: twice the vectors file.
    parts, snapshot_factor = "chunks", 2

    @classmethod
    def initial(cls, prepared: PreparedCorpus, config: Word2VecConfig) -> Word2VecState:
        """The state of a new run on ``prepared`` (after :func:`check_trainable`)."""
        check_trainable(prepared, config)
        return initial_state(len(prepared.vocab), config)

    @property
    def position(self) -> int:
        return self.next_chunk

    @property
    def losses(self) -> list[float]:
        return self.epoch_losses

    def embeddings(self, words: list[str], config: Word2VecConfig, which: str) -> Embeddings:
        """The vectors of ``words`` (the vocabulary): W, W + C or [W, C]; with subwords the
        composed W, with the bucket rows attached (:class:`embedkit.subwords.Subwords`).

        Raises
        ------
        ConfigError
            If ``which`` needs C and the loss is hierarchical softmax (no per-word output
            vectors), or the model has subwords (their vectors are W only).
        """
        if which != "input" and config.loss == "hs":
            raise ConfigError(
                f"vectors_out={which} needs negative sampling: hierarchical softmax has no per-word output vectors"
            )
        spec = config.subwords
        if spec is None:
            return Embeddings(words, output_vectors(self.syn0, self.syn1, which))
        if which != "input":
            raise ConfigError(f"vectors_out={which} does not apply to subword models: their vectors are W only")
        embeddings = Embeddings(words, compose(self.syn0, *subword_rows(words, spec, len(words))))
        embeddings.subwords = Subwords(spec, self.syn0[len(words) :])
        return embeddings

    def shapes(self, n_words: int, config: Word2VecConfig) -> dict[str, tuple[int, int]]:
        """The shape each array must have for ``n_words`` words."""
        return {
            "syn0": (input_rows(n_words, config), config.dim),
            "syn1": (n_words - (config.loss == "hs"), config.dim),
        }

    def grown(self, config: Word2VecConfig, old_rows: np.ndarray, n_words: int) -> Word2VecState:
        """A fresh schedule over ``n_words`` rows: old word ``i`` at ``old_rows[i]``, new words
        initialised as at the start of a run (see :mod:`embedkit.continued`)."""
        n_old = old_rows.shape[0]
        n_new = n_words - n_old
        syn0 = grown_rows(self.syn0[:n_old], old_rows, initial_vectors(n_new, config, config.seed + 1))
        if config.subwords is not None:  # the bucket rows follow the word rows, unchanged
            syn0 = np.vstack([syn0, self.syn0[n_old:]])
        if config.loss == "hs":  # inner nodes: kept, the new ones (one per new word) start at zero
            syn1 = np.vstack([self.syn1, np.zeros((n_new, config.dim), np.float32)])
        else:
            syn1 = grown_rows(self.syn1, old_rows, np.zeros((n_new, config.dim), np.float32))
        return Word2VecState(syn0, syn1)


@dataclass(kw_only=True)
class TrainReport(Report):
    """What a word2vec run did (besides :class:`embedkit.training.Report`'s fields).

    Attributes: ``epochs``; ``words`` (corpus tokens processed, all epochs); ``kept_words``
    (tokens left after subsampling); ``examples`` (training examples: (context, centre) pairs
    for skip-gram, centre words for CBOW); ``epoch_losses`` is the mean loss per example.
    """

    epochs: int
    words: int
    kept_words: int
    examples: int

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("nan")

    def details(self) -> str:
        return (
            f", {self.epochs} epochs, {self.words:,} words in {self.seconds:.1f} s "
            f"({self.words_per_second / 1e3:.0f}k words/s), final loss {self.epoch_losses[-1]:.4f}"
        )


def initial_vectors(n_rows: int, config: Word2VecConfig, seed: int) -> np.ndarray:
    """Input rows, float32 (n_rows, D): U(-0.5/D, 0.5/D) as word2vec.c, or U(-1/D, 1/D) as
    fastText with subwords (a word averages about ten of them)."""
    vectors = np.random.default_rng(seed).random((n_rows, config.dim), dtype=np.float32)
    vectors -= np.float32(0.5)  # in place: no temporary copies of a V x D matrix
    vectors *= np.float32((1.0 if config.subwords is None else 2.0) / config.dim)
    return vectors


def input_rows(n_words: int, config: Word2VecConfig) -> int:
    """Rows of W: the words, and the buckets with subwords."""
    return n_words + (0 if config.subwords is None else config.subwords.buckets)


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
    buckets = input_rows(n_words, config) - n_words
    require_memory(
        (copies * n_words * (1 + (config.vectors_out == "concat")) + buckets) * 4 * config.dim,
        f"the word2vec parameters ({n_words:,} words{f' and {buckets:,} buckets' if buckets else ''} x "
        f"{config.dim} dims, float32)",
    )


def initial_state(n_words: int, config: Word2VecConfig) -> Word2VecState:
    """The state before the first update: W as :func:`initial_vectors`, C = 0 (word2vec.c)."""
    syn0 = initial_vectors(input_rows(n_words, config), config, config.seed)
    syn1 = np.zeros((n_words - (config.loss == "hs"), config.dim), dtype=np.float32)
    return Word2VecState(syn0, syn1)


def train_word2vec(
    prepared: PreparedCorpus,
    config: Word2VecConfig | None = None,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    state: Word2VecState | None = None,
    checkpoint: Callable[[Word2VecState, bool], None] | None = None,
    cluster=None,
    sync_words: int | None = None,
) -> tuple[Embeddings, TrainReport]:
    """Train skip-gram or CBOW word vectors, in this process or data-parallel on a Dask cluster.

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
        after the last call of an epoch); it decides whether to save. On a cluster it is called
        at epoch ends only.
    cluster : distributed.Client, optional
        Train one replica per worker of this cluster, synchronised in rounds
        (:mod:`embedkit.models.word2vec_cluster`); ``config.threads`` is then per worker (0: the
        worker's threads). The corpus must be on storage every worker reads (a cache entry), or
        its ids travel to every worker.
    sync_words : int, optional
        On a cluster: words each worker trains per round (default
        :data:`~embedkit.models.word2vec_cluster.SYNC_WORDS`, rounded up to whole chunks).

    Returns
    -------
    embeddings : Embeddings
        Shape (V, dim) float32 — or (V, 2*dim) for ``vectors_out="concat"`` — in vocabulary
        order: the input vectors W, W + C, or [W, C] (``config.vectors_out``); with subwords
        the composed W, and ``embeddings.subwords`` holds the bucket rows.
    report : TrainReport

    Raises
    ------
    CorpusError
        With fewer than two vocabulary words or no line holding two of them.
    ConfigError
        If the parameters (and the output copy) need more memory than is available.
    TrainingError
        If the parameters become NaN or infinite (try a lower ``alpha``), or subsampling keeps
        no training example.
    ClusterError
        If a worker is lost or the connection to the cluster drops.
    """
    config = config or Word2VecConfig()
    check_trainable(prepared, config)
    state = state or initial_state(len(prepared.vocab), config)
    if cluster is None:
        _Run(prepared, config, state, progress, log, checkpoint).run()
    else:
        from .word2vec_cluster import SYNC_WORDS, ClusterRun

        sync = SYNC_WORDS if sync_words is None else sync_words
        ClusterRun(prepared, config, state, progress, log, checkpoint, cluster, sync).run()
    total = prepared.encoded.n_tokens
    embeddings = state.embeddings(prepared.vocab.words, config, config.vectors_out)
    report = TrainReport(
        model=config.name,
        seconds=state.seconds,
        epoch_losses=state.epoch_losses,
        n_vectors=len(embeddings),
        dim=embeddings.dim,
        corpus=CorpusSummary.from_prepared(prepared),
        epochs=config.epochs,
        words=total * config.epochs,
        kept_words=state.kept_words,
        examples=state.examples,
    )
    return embeddings, report


#: What :func:`train_chunks` takes (checked before each call; see :mod:`embedkit._kernel_inputs`).
_CORPUS_SPEC = {
    "ids": (np.int32, 1),
    "ids_base": int,
    "sentence_starts": (np.int64, 1),
    "chunk_starts": (np.int64, 1),
    "max_length": int,
}
_TABLES_SPEC = {
    "keep": (np.uint64, 1),
    "noise_threshold": (np.uint64, 1),
    "noise_alias": (np.int32, 1),
    "points": (np.int32, 2),
    "labels": (np.int8, 2),
    "code_lengths": (np.int32, 1),
}
_SCHEDULE_SPEC = {
    "window": int,
    "negative": int,
    "cbow": int,
    "cbow_mean": int,
    "alpha": float,
    "min_alpha": float,
    "epochs": int,
    "total_words": int,
    "seed": int,
}
_ARRAYS_SPEC = {"syn0": (np.float32, 2), "syn1": (np.float32, 2), "stats": (np.float64, 2)}


class _Arrays(NamedTuple):
    """The arrays :func:`train_chunks` updates (named for the input check only)."""

    syn0: np.ndarray
    syn1: np.ndarray
    stats: np.ndarray


@dataclass
class ChunkTrainer:
    """Everything a kernel call needs besides the parameters; picklable, so that a cluster
    worker can hold one (:mod:`embedkit.models.word2vec_cluster`).

    Attributes
    ----------
    encoded : EncodedCorpus
        The corpus (read block by block).
    chunk_starts : ndarray, int64 (K + 1,)
        Sentence offsets of the chunks (:meth:`EncodedCorpus.chunk_starts`).
    tables : Tables
        Subsampling and noise tables or Huffman paths (:func:`lookup_tables`).
    schedule : Schedule
        Hyper-parameters and the learning-rate schedule.
    subword_table : SubwordTable or None
        The words' n-gram rows, with subwords.
    """

    encoded: EncodedCorpus
    chunk_starts: np.ndarray
    tables: Tables
    schedule: Schedule
    subword_table: SubwordTable | None

    def __post_init__(self):
        self.chunk_tokens = self.encoded.sentence_starts[self.chunk_starts]
        self.max_length = self.encoded.max_sentence_length

    @property
    def n_chunks(self) -> int:
        return len(self.chunk_starts) - 1

    def train(self, epoch: int, first: int, last: int, syn0: np.ndarray, syn1: np.ndarray, stats: np.ndarray) -> None:
        """Train chunks ``first .. last-1`` of ``epoch`` into ``syn0``/``syn1`` (in place, with
        the current numba thread count); ``stats[c]`` receives chunk c's loss, examples, kept words."""
        start, stop = int(self.chunk_tokens[first]), int(self.chunk_tokens[last])
        corpus = Corpus(
            self.encoded.read_ids(start, stop), start, self.encoded.sentence_starts, self.chunk_starts, self.max_length
        )
        check_inputs("train_chunks", corpus, _CORPUS_SPEC)
        if self.subword_table is None:
            train_chunks(corpus, self.tables, self.schedule, epoch, first, last, syn0, syn1, stats)
        else:
            train_subword_chunks(
                corpus, self.tables, self.schedule, self.subword_table, epoch, first, last, syn0, syn1, stats
            )

    def learning_rate(self, epoch: int, chunk: int) -> float:
        """The learning rate at the start of ``chunk`` of ``epoch``."""
        return float(learning_rate(self.schedule, epoch, int(self.chunk_tokens[chunk])))


class _Run(EpochLoop):
    """word2vec's epochs: chunks of the corpus, :data:`_CHUNKS_PER_THREAD_PER_CALL` per thread per call."""

    position, part, whole, unit = "next_chunk", "chunk", "corpus", "w"

    def __init__(
        self, prepared: PreparedCorpus, config: Word2VecConfig, state: Word2VecState, progress, log, checkpoint
    ):
        encoded = prepared.encoded
        self.config, self.counts = config, prepared.vocab.counts
        chunk_starts = encoded.chunk_starts(config.chunk_words)
        n_chunks = len(chunk_starts) - 1
        super().__init__(
            state,
            name=config.name,
            epochs=config.epochs,
            n_parts=n_chunks,
            per_call=config.n_threads * _CHUNKS_PER_THREAD_PER_CALL,
            epoch_units=encoded.n_tokens,
            threads=config.n_threads,
            advice=f"lower --alpha (now {config.learning_rate:g})",
            progress=progress,
            log=log,
            checkpoint=checkpoint,
        )
        schedule = Schedule(
            config.window,
            config.negative if config.loss == "ns" else 0,
            int(config.architecture == "cbow"),
            int(config.cbow_mean),
            config.learning_rate,
            config.final_alpha,
            config.epochs,
            encoded.n_tokens,
            config.seed,
            private_nodes(config.loss == "hs", config.n_threads, len(prepared.vocab) - 1),
        )
        tables = lookup_tables(prepared.vocab, config)
        words = prepared.vocab.words
        subword_table = (
            None if config.subwords is None else SubwordTable(*subword_rows(words, config.subwords, len(words)))
        )
        if state.chunk_stats is None or state.chunk_stats.shape != (n_chunks, 3):
            state.chunk_stats = np.zeros((n_chunks, 3), dtype=np.float64)
        check_inputs("train_chunks", tables, _TABLES_SPEC)
        check_inputs("train_chunks", schedule, _SCHEDULE_SPEC)
        check_inputs("train_chunks", _Arrays(state.syn0, state.syn1, state.chunk_stats), _ARRAYS_SPEC)
        self.trainer = ChunkTrainer(encoded, chunk_starts, tables, schedule, subword_table)

    def done_units(self, parts: int) -> int:
        return int(self.trainer.chunk_tokens[parts])

    def start_epoch(self, epoch: int) -> None:
        if self.state.next_chunk == 0:
            self.state.chunk_stats[:] = 0.0

    def train(self, epoch: int, first: int, last: int) -> tuple[float, float]:
        stats = self.state.chunk_stats
        self.trainer.train(epoch, first, last, self.state.syn0, self.state.syn1, stats)
        return self.running_loss(last), self.trainer.learning_rate(epoch, last)

    def running_loss(self, last: int) -> float:
        """Mean loss per example over the epoch's chunks before ``last``."""
        stats = self.state.chunk_stats
        return float(stats[:last, 0].sum() / max(stats[:last, 1].sum(), 1))

    def epoch_loss(self) -> float:
        stats = self.state.chunk_stats
        return float(stats[:, 0].sum() / max(stats[:, 1].sum(), 1.0))

    def parameters(self) -> tuple[np.ndarray, ...]:
        return self.state.syn0, self.state.syn1

    def end_epoch(self, epoch: int, loss: float) -> str:
        state, stats = self.state, self.state.chunk_stats
        kept = int(stats[:, 2].sum())
        if stats[:, 1].sum() == 0:
            raise TrainingError(
                f"epoch {epoch + 1} had no training example: subsampling kept {kept:,} "
                f"words (sample={self.config.sample:g}); raise --sample, or 0 to keep every word"
            )
        if loss > _DIVERGED_FACTOR * self.untrained_loss:
            raise TrainingError(
                f"{self.name} diverged in epoch {epoch + 1} (loss {loss:.3g} per example, {self.untrained_loss:.3g} "
                f"before training); {self.advice}"
            )
        state.epoch_losses.append(loss)
        state.kept_words += kept
        state.examples += int(stats[:, 1].sum())
        return f"epoch {epoch + 1}/{self.epochs}: loss {loss:.4f}, {kept:,} words kept"

    @property
    def untrained_loss(self) -> float:
        """The loss per example with C = 0 (every score 0, sigma = 1/2): ``(1 + negative) ln 2``
        for negative sampling, the corpus-weighted mean Huffman code length times ``ln 2`` for
        hierarchical softmax."""
        schedule, tables = self.trainer.schedule, self.trainer.tables
        if schedule.negative:
            return (1 + schedule.negative) * math.log(2)
        return float(np.average(tables.code_lengths, weights=self.counts)) * math.log(2)
