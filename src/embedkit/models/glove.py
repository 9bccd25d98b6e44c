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

import numpy as np

from .._kernel_inputs import check_inputs
from ..config import GloveConfig
from ..continued import grown_rows
from ..cooccur import CellSink, CooccurrenceOptions, Cooccurrences, cooccurrences_for
from ..encode import PreparedCorpus
from ..errors import ConfigError
from ..files import scratch_directory
from ..memory import gib
from ..training import CorpusSummary, Report, output_vectors
from ..vectors import Embeddings
from ._checks import require_context_pairs, require_words
from ._epochs import EpochLoop
from ._glove_kernels import (
    CELLS_SPEC,
    PARAMETERS_SPEC,
    STEP_SPEC,
    Cells,
    Parameters,
    Step,
    shuffle_cells,
    train_blocks,
)

#: Cells per unit of parallel work.
BLOCK_CELLS = 4096
#: Kernel calls per iteration (the progress bar is updated between calls).
_CALLS_PER_EPOCH = 50
_BYTES_PER_CELL = 12
_MAX_BUCKETS = 256  # open files while shuffling on disk: 3 per bucket
_BYTES_PER_PARAMETER = 8  # float32 value + float32 squared-gradient sum


@dataclass(kw_only=True)
class GloveReport(Report):
    """What a GloVe run did (besides :class:`embedkit.training.Report`'s fields): ``epochs``;
    ``nnz`` (nonzero cells of the full matrix); ``count_seconds`` (co-occurrence counting, 0
    when cached); ``epoch_losses`` is J / nnz after each iteration, glove.c's figure."""

    epochs: int
    nnz: int
    count_seconds: float = 0.0

    def details(self) -> str:
        rate = self.nnz * self.epochs / self.seconds if self.seconds > 0 else float("nan")
        return (
            f", {self.epochs} iterations over {self.nnz:,} co-occurrences in {self.seconds:.1f} s "
            f"({rate / 1e6:.1f}M cells/s; counting {self.count_seconds:.1f} s), final cost {self.epoch_losses[-1]:.4f}"
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

    #: What a part of an iteration is (``embedkit info``); the model directory holds W and C
    #: with biases and squared-gradient sums, about four times the vectors file.
    parts, snapshot_factor = "blocks", 4

    @classmethod
    def initial(cls, prepared: PreparedCorpus, config: GloveConfig) -> GloveState:
        """The state of a new run on ``prepared`` (after :func:`check_trainable`)."""
        check_trainable(prepared, config)
        return cls(*initial_parameters(len(prepared.vocab), config.dim, config.seed))

    @property
    def position(self) -> int:
        return self.next_block

    @property
    def losses(self) -> list[float]:
        return self.epoch_costs

    def embeddings(self, words: list[str], config: GloveConfig, which: str) -> Embeddings:
        """The vectors of ``words``: W, W + C or [W, C], without biases and sums
        (:func:`embedkit.training.output_vectors`)."""
        return Embeddings(words, output_vectors(self.W[:, : config.dim], self.C[:, : config.dim], which))

    def shapes(self, n_words: int, config: GloveConfig) -> dict[str, tuple[int, int]]:
        """The shape each array must have for ``n_words`` words."""
        return {"W": (n_words, 2 * (config.dim + 1)), "C": (n_words, 2 * (config.dim + 1))}

    def grown(self, config: GloveConfig, old_rows: np.ndarray, n_words: int) -> GloveState:
        """A fresh schedule over ``n_words`` rows: old word ``i`` (with its AdaGrad sums) at
        ``old_rows[i]``, new words initialised as glove.c does (see :mod:`embedkit.continued`)."""
        fresh_w, fresh_c = initial_parameters(n_words - old_rows.shape[0], config.dim, config.seed + 1)
        return GloveState(grown_rows(self.W, old_rows, fresh_w), grown_rows(self.C, old_rows, fresh_c))


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
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    use_cache: bool = True,
    state: GloveState | None = None,
    checkpoint: Callable[[GloveState, bool], None] | None = None,
    cluster=None,
) -> tuple[Embeddings, GloveReport]:
    """Count co-occurrences (or load them from the cache) and train GloVe vectors, in this
    process or data-parallel on a Dask cluster.

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
        Called as ``checkpoint(state, epoch_end)`` after every kernel call (on a cluster: at
        iteration ends only).
    cluster : distributed.Client, optional
        Count the co-occurrences on this Dask cluster and train there by stratified SGD, each
        worker owning a block of the words (:mod:`embedkit.models.glove_cluster`); ``config.threads`` is
        then per worker (0: the worker's threads), ``config.memory`` each worker's budget.

    Returns
    -------
    embeddings : Embeddings
        float32 (V, dim) W + C by default, (V, dim) W, or (V, 2*dim) [W, C]; biases are dropped.
    report : GloveReport

    Raises
    ------
    ConfigError
        If the parameters alone need more than ``config.memory`` GiB (cells that do not fit are
        shuffled and read from disk; on a cluster they must fit).
    TrainingError
        If the cost or the parameters become NaN/Inf (lower ``eta`` or ``grad_clip``).
    ClusterError
        If a worker is lost or the connection to the cluster drops.
    """
    config = config or GloveConfig()
    check_trainable(prepared, config)
    options = CooccurrenceOptions.of(config)
    started = time.perf_counter()
    cooc = cooccurrences_for(prepared, options, config.memory, use_cache, progress, log, cluster=cluster)
    count_seconds = 0.0 if cooc.from_cache else time.perf_counter() - started
    embeddings, report = train_glove_cooccurrences(
        cooc,
        prepared.vocab.words,
        config,
        progress=progress,
        log=log,
        state=state,
        checkpoint=checkpoint,
        cluster=cluster,
    )
    report.count_seconds, report.corpus = count_seconds, CorpusSummary.from_prepared(prepared)
    return embeddings, report


def train_glove_cooccurrences(
    cooc: Cooccurrences,
    words: list[str],
    config: GloveConfig,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    state: GloveState | None = None,
    checkpoint: Callable[[GloveState, bool], None] | None = None,
    cluster=None,
) -> tuple[Embeddings, GloveReport]:
    """Train GloVe on a co-occurrence matrix; see :func:`train_glove` for the parameters
    (the report's ``corpus`` is None)."""
    budget = int(config.memory * (1 << 30))
    parameters = parameter_bytes(cooc.n_words, config)
    fits = cooc.stored * _BYTES_PER_CELL <= budget - parameters
    if cluster is not None and not fits:
        raise ConfigError(
            f"{cooc.stored:,} cells do not fit --memory {config.memory:g} GiB with the parameters: on a cluster "
            "every worker holds them in memory; raise --memory"
        )
    state = state or GloveState(*initial_parameters(cooc.n_words, config.dim, config.seed))
    if cluster is not None:
        from .glove_cluster import ClusterRun

        ClusterRun(cooc, config, state, progress, log, checkpoint, cluster).run()
    else:
        _train_here(cooc, config, state, progress, log, checkpoint, budget - parameters, fits)
    embeddings = state.embeddings(words, config, config.vectors_out)
    report = GloveReport(
        model=config.name,
        seconds=state.seconds,
        epoch_losses=state.epoch_costs,
        n_vectors=len(embeddings),
        dim=embeddings.dim,
        epochs=config.epochs,
        nnz=cooc.nnz,
    )
    return embeddings, report


def _train_here(cooc: Cooccurrences, config: GloveConfig, state: GloveState, progress, log, checkpoint, budget, fits):
    """Train in this process: the cells shuffled in memory, or on disk when they do not fit
    ``budget`` bytes (``fits`` False)."""
    with scratch_directory("embedkit-glove") as scratch:
        if fits:
            cells = tuple(np.array(a) for a in (cooc.rows, cooc.cols, cooc.values))
            shuffle_cells(*cells, config.seed)
        else:
            if log:
                log(f"{cooc.stored:,} cells exceed the memory budget: shuffling them on disk in {scratch}")
            cells = shuffle_on_disk(cooc, scratch, budget, config.seed)
        _Run(Cells(*cells), cooc, config, state, progress, log, checkpoint).run()


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


def check_kernel_inputs(cells: Cells, params: Parameters, step: Step) -> None:
    """Check what :func:`train_blocks` is given (dtypes, contiguity: it checks nothing itself).

    Raises
    ------
    KernelInputError
        As :func:`embedkit._kernel_inputs.check_inputs`.
    """
    check_inputs("train_blocks", cells, CELLS_SPEC)
    check_inputs("train_blocks", params, PARAMETERS_SPEC)
    check_inputs("train_blocks", step, STEP_SPEC)


class GloveLoop(EpochLoop):
    """What every GloVe iteration loop shares: the cost (J / nnz, glove.c's figure, from the
    state's ``block_costs``), the parameters checked, the iteration's log line. Subclasses set
    ``self.rng``, whose state is saved at each iteration's end."""

    position, part, whole, unit = "next_block", "block", "matrix", "cell"

    def epoch_loss(self) -> float:
        return float(self.state.block_costs.sum() / self.epoch_units)

    def parameters(self) -> tuple[np.ndarray, ...]:
        return self.state.W, self.state.C

    def end_epoch(self, epoch: int, loss: float) -> str:
        self.state.epoch_costs.append(loss)
        self.state.rng_state = self.rng.bit_generator.state
        return f"iteration {epoch + 1}/{self.epochs}: cost {loss:.6f}"


class _Run(GloveLoop):
    """GloVe's iterations: blocks of :data:`BLOCK_CELLS` shuffled cells in a fresh random order
    each iteration, :data:`_CALLS_PER_EPOCH` kernel calls per iteration."""

    def __init__(
        self, cells: Cells, cooc: Cooccurrences, config: GloveConfig, state: GloveState, progress, log, checkpoint
    ):
        n_blocks = -(-cells.values.shape[0] // BLOCK_CELLS)
        self.rng = np.random.default_rng(config.seed)
        if state.rng_state is not None:
            self.rng.bit_generator.state = state.rng_state
        super().__init__(
            state,
            name=config.name,
            epochs=config.epochs,
            n_parts=n_blocks,
            per_call=max(1, -(-n_blocks // _CALLS_PER_EPOCH)),
            epoch_units=cooc.nnz,
            threads=config.n_threads,
            advice=f"lower --eta (now {config.eta:g}) or --grad-clip (now {config.grad_clip:g})",
            progress=progress,
            log=log,
            checkpoint=checkpoint,
        )
        self.cells, self.params, self.config = cells, Parameters(state.W, state.C), config
        scalars = (np.float32(v) for v in (config.x_max, config.weight_exponent, config.eta, config.grad_clip))
        self.step = Step(BLOCK_CELLS, cooc.options.symmetric, *scalars)
        if state.block_costs is None or state.block_costs.shape != (n_blocks,):
            state.block_costs = np.zeros(n_blocks, dtype=np.float64)
        check_kernel_inputs(self.cells, self.params, self.step)

    def start_epoch(self, epoch: int) -> None:
        self.state.rng_state = self.rng.bit_generator.state
        self.order = self.rng.permutation(self.n_parts).astype(np.int64)
        if self.state.next_block == 0:
            self.state.block_costs[:] = 0.0

    def train(self, epoch: int, first: int, last: int) -> tuple[float, float]:
        costs = self.state.block_costs
        train_blocks(self.cells, self.params, self.step, self.order[first:last], costs[first:last])
        return self.running_cost(last), self.config.eta

    def running_cost(self, last: int) -> float:
        """J / cells over the iteration's blocks before ``last`` (in this iteration's order)."""
        n_cells = self.cells.values.shape[0]
        done = min(last * BLOCK_CELLS, n_cells)
        return float(self.state.block_costs[:last].sum() / max(1, self.epoch_units * done / n_cells))
