"""GloVe: global vectors from a weighted co-occurrence matrix (Pennington et al. 2014).

Pipeline: the co-occurrence matrix from :mod:`embedkit.cooccur` (counted once per corpus and
window, then cached), then AdaGrad over its nonzero cells with the kernels of
:mod:`embedkit.models._glove_kernels`.

Order of the cells: they are copied into memory and shuffled once (Fisher-Yates, like glove.c's
``shuffle`` step); every iteration then visits their blocks of :data:`BLOCK_CELLS` cells in a
fresh random order, the threads taking blocks in parallel (Hogwild, as glove.c). When the cells
do not fit in the memory budget, they are shuffled out of core instead (each cell sent to a random
bucket file, each bucket shuffled in memory: a uniform permutation) into temporary files that
training memory-maps, so only the parameters must fit.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np
from tqdm.auto import tqdm

from .. import signals
from ..config import GloveConfig
from ..cooccur import CellSink, CooccurrenceOptions, Cooccurrences, cooccurrences_for
from ..encode import PreparedCorpus
from ..errors import ConfigError, TrainingError
from ..files import scratch_directory
from ..memory import gib
from ..vectors import Embeddings
from ._checks import require_context_pairs, require_words
from ._glove_kernels import shuffle_cells, train_blocks
from .word2vec import output_vectors

#: Cells per unit of parallel work.
BLOCK_CELLS = 4096
#: Kernel calls per iteration (the progress bar is updated between calls).
_CALLS_PER_EPOCH = 50
_BYTES_PER_CELL = 12
_MAX_BUCKETS = 256  # open files while shuffling on disk: 3 per bucket
_BYTES_PER_PARAMETER = 8  # float32 value + float32 squared-gradient sum


@dataclass
class GloveReport:
    """What a GloVe run did: ``epochs``; ``nnz`` (nonzero cells of the full matrix);
    ``count_seconds`` (co-occurrence counting, 0 when cached); ``seconds`` (training loop);
    ``epoch_costs`` (J / nnz after each iteration, glove.c's figure)."""

    epochs: int
    nnz: int
    count_seconds: float
    seconds: float
    epoch_costs: list[float]

    def summary(self, embeddings: Embeddings) -> str:
        """The one-line summary printed at the end of training."""
        rate = self.nnz * self.epochs / self.seconds if self.seconds > 0 else float("nan")
        return (
            f"glove: {len(embeddings):,} words x {embeddings.dim} dims, {self.epochs} iterations over "
            f"{self.nnz:,} co-occurrences in {self.seconds:.1f} s ({rate / 1e6:.1f}M cells/s; "
            f"counting {self.count_seconds:.1f} s), final cost {self.epoch_costs[-1]:.4f}"
        )


@dataclass
class GloveState:
    """Where a GloVe run stands, everything needed to continue it exactly.

    Attributes
    ----------
    W, C : ndarray, float32 (V, 2 (dim + 1))
        Word and context rows in the kernels' layout: vector, bias, then their AdaGrad
        squared-gradient sums (so resuming keeps the optimiser state, unlike glove.c's saved
        parameters; GloVe issue #170).
    epoch : int
        Iterations completed.
    next_block : int
        Position in the current iteration's block order (0 at an iteration boundary).
    rng_state : dict or None
        NumPy bit-generator state before the current iteration's block order was drawn.
    block_costs : ndarray, float64 (B,) or None
        Cost of each block in the current iteration.
    epoch_costs : list of float
        J / nnz of each completed iteration.
    seconds : float
        Training wall time so far, all sessions.
    """

    W: np.ndarray
    C: np.ndarray
    epoch: int = 0
    next_block: int = 0
    rng_state: dict | None = None
    block_costs: np.ndarray | None = None
    epoch_costs: list[float] = field(default_factory=list)
    seconds: float = 0.0


def parameter_bytes(n_words: int, config: GloveConfig) -> int:
    """Bytes of W and C with their AdaGrad sums (16 per word per dimension + bias).

    Raises
    ------
    ConfigError
        If they alone exceed ``config.memory`` (the cells that do not fit are read from disk).
    """
    parameters = 2 * _BYTES_PER_PARAMETER * n_words * (config.dim + 1)
    if parameters > int(config.memory * (1 << 30)):
        raise ConfigError(
            f"GloVe's parameters need {gib(parameters)}, over --memory {config.memory:g} GiB; raise "
            "--memory or shrink the vocabulary (--min-count, --max-vocab) or --dim"
        )
    return parameters


def check_trainable(prepared: PreparedCorpus, config: GloveConfig) -> None:
    """What GloVe checks before counting or allocating: two words, a context pair, the budget.

    Raises
    ------
    CorpusError, ConfigError
    """
    require_words(prepared.vocab)
    require_context_pairs(prepared.encoded)
    parameter_bytes(len(prepared.vocab), config)


def initial_parameters(n_words: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """W and C in the kernels' layout, float32 (V, 2 (dim + 1)): vector and bias
    ~ U(-0.5/(dim+1), 0.5/(dim+1)) as glove.c, then their squared-gradient sums, all 1."""
    rng = np.random.default_rng(seed)
    params = []
    for _ in range(2):
        block = np.ones((n_words, 2 * (dim + 1)), dtype=np.float32)
        weights = block[:, : dim + 1]
        weights[:] = rng.random((n_words, dim + 1), dtype=np.float32)
        weights -= np.float32(0.5)
        weights /= np.float32(dim + 1)
        params.append(block)
    return params[0], params[1]


def train_glove(
    prepared: PreparedCorpus,
    config: GloveConfig | None = None,
    use_cache: bool = True,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    state: GloveState | None = None,
    checkpoint: Callable[[GloveState, bool], None] | None = None,
) -> tuple[Embeddings, GloveReport]:
    """Count co-occurrences (or load them from the cache) and train GloVe vectors.

    Parameters
    ----------
    prepared : PreparedCorpus
        From :func:`embedkit.encode.prepare_corpus`.
    config : GloveConfig, optional
        Hyper-parameters (glove.c defaults; window 10).
    use_cache : bool
        Keep the co-occurrence matrix beside the encoded corpus for later runs.
    progress : bool
        Show tqdm bars (counting; training with cells/s, iteration, cost, ETA).
    log : callable, optional
        Receives one-line notes and the end-of-iteration costs.
    state : GloveState, optional
        Continue from here (a checkpoint); its arrays are updated in place. With ``threads=1``
        the result is bit-identical to an uninterrupted run.
    checkpoint : callable, optional
        Called as ``checkpoint(state, epoch_end)`` after every kernel call.

    Returns
    -------
    embeddings : Embeddings
        float32 (V, dim) W + C by default, (V, dim) W, or (V, 2*dim) [W, C]; biases are dropped.
    report : GloveReport

    Raises
    ------
    ConfigError
        If the parameters alone need more than ``config.memory`` GiB (cells that do not fit are
        shuffled and read from disk).
    TrainingError
        If the cost or the parameters become NaN/Inf (lower ``alpha`` or ``grad_clip``).
    """
    config = config or GloveConfig()
    check_trainable(prepared, config)
    options = CooccurrenceOptions(config.window, config.symmetric, config.distance_weighting)
    started = time.perf_counter()
    cooc = cooccurrences_for(prepared, options, config.memory, use_cache, progress, log)
    count_seconds = 0.0 if cooc.from_cache else time.perf_counter() - started
    embeddings, report = train_glove_cooccurrences(cooc, prepared.vocab.words, config, progress, log, state, checkpoint)
    report.count_seconds = count_seconds
    return embeddings, report


def train_glove_cooccurrences(
    cooc: Cooccurrences,
    words: list[str],
    config: GloveConfig,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    state: GloveState | None = None,
    checkpoint: Callable[[GloveState, bool], None] | None = None,
) -> tuple[Embeddings, GloveReport]:
    """Train GloVe on a co-occurrence matrix; see :func:`train_glove` for the parameters."""
    budget = int(config.memory * (1 << 30))
    parameters = parameter_bytes(cooc.n_words, config)
    with scratch_directory("embedkit-glove") as scratch:
        if cooc.stored * _BYTES_PER_CELL <= budget - parameters:
            cells = tuple(np.array(a) for a in (cooc.rows, cooc.cols, cooc.values))
            shuffle_cells(*cells, config.seed)
        else:
            if log:
                log(f"{cooc.stored:,} cells exceed the memory budget: shuffling them on disk in {scratch}")
            cells = shuffle_on_disk(cooc, scratch, budget - parameters, config.seed)
        state = state or GloveState(*initial_parameters(cooc.n_words, config.dim, config.seed))
        return _train(cells, cooc, words, config, progress, log, state, checkpoint)


def shuffle_on_disk(cooc: Cooccurrences, directory: Path, budget: int, seed: int) -> tuple[np.ndarray, ...]:
    """Uniformly shuffled copies of the cells as memory-mapped ``.npy`` files in ``directory``,
    using about ``budget`` bytes: each cell goes to a random one of K buckets (streamed in chunks),
    then each bucket is Fisher-Yates shuffled in memory and appended to the output.

    Returns
    -------
    rows, cols : int32 (N,) ; values : float32 (N,) — read-only memory maps.
    """
    n = cooc.stored
    chunk = max(BLOCK_CELLS, budget // (2 * _BYTES_PER_CELL))
    n_buckets = max(1, -(-n // chunk))
    if n_buckets > _MAX_BUCKETS:
        raise ConfigError(f"--memory is too small to shuffle {n:,} cells in at most {_MAX_BUCKETS} files; raise it")
    rng = np.random.default_rng(seed)
    buckets = [CellSink(directory / f"bucket{b}") for b in range(n_buckets)]
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        target = rng.integers(n_buckets, size=stop - start)
        order = np.argsort(target, kind="stable")
        bounds = np.searchsorted(target[order], np.arange(n_buckets + 1))
        picked = [np.asarray(a[start:stop])[order] for a in (cooc.rows, cooc.cols, cooc.values)]
        for b, sink in enumerate(buckets):
            sink.write(*(a[bounds[b] : bounds[b + 1]] for a in picked))
    output = CellSink(directory / "shuffled")
    for b, sink in enumerate(buckets):
        sink.close()
        cells = CellSink.read(sink.directory, mmap_mode=None)
        shuffle_cells(*cells, seed + 1 + b)
        output.write(*cells)
        shutil.rmtree(sink.directory)
    output.close()
    return tuple(np.asarray(a) for a in CellSink.read(output.directory))


def _train(
    cells, cooc: Cooccurrences, words: list[str], config: GloveConfig, progress, log, state: GloveState, checkpoint
):
    """The iterations over shuffled ``cells`` (rows, cols, values), from ``state`` on."""
    rows, cols, values = cells
    dim = config.dim
    W, C = state.W, state.C
    mirror = cooc.options.symmetric
    nnz = cooc.nnz
    n_blocks = -(-values.shape[0] // BLOCK_CELLS)
    per_call = max(1, -(-n_blocks // _CALLS_PER_EPOCH))
    numba.set_num_threads(min(config.n_threads, numba.config.NUMBA_NUM_THREADS))
    scalars = [np.float32(v) for v in (config.x_max, config.weight_exponent, config.alpha, config.grad_clip)]
    rng = np.random.default_rng(config.seed)
    if state.rng_state is not None:
        rng.bit_generator.state = state.rng_state
    if not 0 <= state.next_block < n_blocks:
        raise TrainingError(f"the saved position (block {state.next_block}) is past this matrix's {n_blocks} blocks")
    if state.block_costs is None or state.block_costs.shape != (n_blocks,):
        state.block_costs = np.zeros(n_blocks, dtype=np.float64)
    block_costs = state.block_costs
    resumed_at = time.perf_counter() - state.seconds
    done_before = state.epoch * nnz + nnz * state.next_block // n_blocks
    with tqdm(
        total=nnz * config.epochs, initial=done_before, unit="cell", unit_scale=True, desc="glove", disable=not progress
    ) as bar:
        for epoch in range(state.epoch, config.epochs):
            state.rng_state = rng.bit_generator.state
            order = rng.permutation(n_blocks).astype(np.int64)
            if state.next_block == 0:
                block_costs[:] = 0.0
            shown = nnz * state.next_block // n_blocks
            for first in range(state.next_block, n_blocks, per_call):
                last = min(first + per_call, n_blocks)
                train_blocks(
                    rows, cols, values, order[first:last], BLOCK_CELLS, mirror, W, C, *scalars, block_costs[first:last]
                )
                done = min(last * BLOCK_CELLS, values.shape[0])
                bar.set_postfix(
                    iter=f"{epoch + 1}/{config.epochs}",
                    eta=f"{config.alpha:g}",
                    cost=f"{block_costs[:last].sum() / max(1, nnz * done / values.shape[0]):.4f}",
                    refresh=False,
                )
                bar.update(nnz * last // n_blocks - shown)
                signals.check()  # a signal whose exception was swallowed (e.g. during compilation)
                shown = nnz * last // n_blocks
                if last < n_blocks:
                    state.next_block, state.seconds = last, time.perf_counter() - resumed_at
                    if checkpoint:
                        checkpoint(state, False)
            cost = float(block_costs.sum() / nnz)
            if not (np.isfinite(cost) and np.isfinite(W).all() and np.isfinite(C).all()):
                raise TrainingError(
                    f"GloVe diverged in iteration {epoch + 1} (NaN/Inf cost or vectors); lower --alpha "
                    f"(now {config.alpha:g}) or --grad-clip (now {config.grad_clip:g})"
                )
            state.epoch_costs.append(cost)
            state.epoch, state.next_block, state.rng_state = epoch + 1, 0, rng.bit_generator.state
            state.seconds = time.perf_counter() - resumed_at
            if log:
                log(f"iteration {epoch + 1}/{config.epochs}: cost {cost:.6f}")
            if checkpoint:
                checkpoint(state, True)
    report = GloveReport(config.epochs, nnz, 0.0, state.seconds, state.epoch_costs)
    return Embeddings(words, output_vectors(W[:, :dim], C[:, :dim], config.vectors_out)), report
