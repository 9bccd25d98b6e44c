"""Data-parallel GloVe on a Dask cluster: stratified SGD over blocks of the matrix (DSGD).

The words are dealt to the ``N`` workers round-robin by vocabulary id (word ``i`` to block
``i mod N``, so every block holds frequent and rare words alike), which cuts the matrix into
``N x N`` blocks of cells. Worker ``w`` owns the rows of ``W`` of block ``w`` and trains the
cells whose row is in block ``w``: *stratum* ``o`` of it are the cells whose column is in block
``(w + o) mod N``. An iteration runs the ``N`` offsets ``o`` in a random order; while all
workers train offset ``o`` they touch disjoint rows of ``W`` and disjoint rows of ``C``, so no
update is lost or averaged: it is plain SGD with another order of the cells (Gemulla et al.
2011, "Large-scale matrix factorization with distributed stochastic gradient descent", KDD;
the scheme GraphLab and Swivel's sharded training follow). Between two offsets the client
collects each worker's block of ``C`` (vectors, biases and AdaGrad sums travel together) and
sends it to the worker that trains it next; ``W`` never moves until the iteration's end, when
the client gathers it to check, checkpoint and write it.

A symmetric matrix stores each pair once and trains it both ways (``W_i . C_j`` and
``W_j . C_i``, glove.c's two passes). A cell whose two words are in the same block stays one
such cell of stratum 0; any other is split into its two directions, each trained in its own
stratum. With one worker nothing is split: the cells, their shuffle and the block orders are
the one-process run's, which it reproduces with ``threads=1`` bit for bit.

Each worker reads its share of the cells from the co-occurrence cache entry on the shared
storage (a matrix that is not cached travels to the workers instead) and shuffles each
stratum with its own seed. What crosses the network per iteration is ``2 N`` times a block of
``C`` per worker (up and down) and ``W`` once: about ``(2 N + 1) V (D + 1) 8 / N`` bytes per
worker, against the whole matrix of parameters per round when replicas are combined.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np

from .._numba import numba_threads
from ..cooccur import Cooccurrences
from ..errors import ClusterError, ConfigError
from ._glove_kernels import Cells, Parameters, Step, shuffle_cells, train_blocks
from .glove import BLOCK_CELLS, GloveLoop, GloveState, check_kernel_inputs
from .replicas import Actors, at_epoch_ends, shares, worker_threads

#: Rounds per iteration (at least one per stratum): each is a call to every worker and a wait
#: for the slowest, and only moves the progress bar (blocks of C move between strata). 50
#: rounds, the one-process run's kernel calls, measured no slower on 2 local workers; fewer
#: barriers are kept for larger clusters.
ROUNDS_PER_ITERATION = 10


def stratum_sizes(rows: np.ndarray, cols: np.ndarray, n_workers: int, symmetric: bool) -> np.ndarray:
    """int64 (N, N): the cells of stratum ``o`` of worker ``w`` at ``[w, o]`` (a symmetric
    matrix's cells split across blocks counted once in each direction)."""
    row_block, col_block = rows % n_workers, cols % n_workers
    sizes = np.bincount(row_block * n_workers + (col_block - row_block) % n_workers, minlength=n_workers**2)
    if symmetric:
        split = row_block != col_block
        reverse = col_block[split] * n_workers + (row_block[split] - col_block[split]) % n_workers
        sizes += np.bincount(reverse, minlength=n_workers**2)
    return sizes.reshape(n_workers, n_workers).astype(np.int64)


def stratum_cells(cells: Cells, n_workers: int, worker: int, symmetric: bool, seed: int) -> list[Cells]:
    """The cells worker ``worker`` trains, one shuffled :class:`Cells` per offset ``o``: the
    cells whose row is in its block and whose column is in block ``(worker + o) mod N`` (for a
    symmetric matrix, also the reversed cells of pairs split across blocks). Stratum ``o`` is
    shuffled with its own seed drawn from ``(seed, N, worker, o)`` (with one worker: ``seed``,
    the one-process shuffle)."""
    rows, cols, values = cells
    row_block, col_block = rows % n_workers, cols % n_workers
    forward = np.flatnonzero(row_block == worker)
    forward_offset = (col_block[forward] - worker) % n_workers
    if symmetric:
        reverse = np.flatnonzero((col_block == worker) & (row_block != worker))
        reverse_offset = (row_block[reverse] - worker) % n_workers
    else:
        reverse, reverse_offset = forward[:0], forward_offset[:0]
    strata = []
    for offset in range(n_workers):
        f, r = forward[forward_offset == offset], reverse[reverse_offset == offset]
        stratum = Cells(
            np.concatenate([rows[f], cols[r]]),
            np.concatenate([cols[f], rows[r]]),
            np.concatenate([values[f], values[r]]),
        )
        shuffle_cells(*stratum, stratum_seed(seed, n_workers, worker, offset))
        strata.append(stratum)
    return strata


def stratum_seed(seed: int, n_workers: int, worker: int, offset: int) -> int:
    """The shuffle seed of a stratum: ``seed`` itself with one worker (the one-process run's),
    else one drawn from all four numbers (NumPy's SeedSequence), so that runs with nearby seeds
    share no stratum's order."""
    if n_workers == 1:
        return seed
    return int(np.random.SeedSequence((seed, n_workers, worker, offset)).generate_state(1, np.uint64)[0] >> 1)


@dataclass
class StratumSetup:
    """What every GloVe worker starts from: the cells' source (the cache entry ``entry``, or the
    ``cells`` themselves), the number of workers, the run's ``seed``, ``step`` and ``threads``
    (numba threads per worker), and W and C."""

    entry: str | None
    cells: Cells | None
    n_workers: int
    seed: int
    step: Step
    threads: int
    W: np.ndarray
    C: np.ndarray


class StratumWorker:
    """One worker's part of a DSGD GloVe run (a Dask actor; its methods run on the worker)."""

    def __init__(self, start: bytes, worker: int):
        setup: StratumSetup = pickle.loads(start)
        cells = setup.cells
        if cells is None:
            cooc = Cooccurrences.load(setup.entry)
            cells = Cells(cooc.rows, cooc.cols, cooc.values)
        self.n_workers = n = setup.n_workers
        self.worker, self.threads = worker, setup.threads
        # Copies: NumPy's own allocations are backed by huge pages (madvise), unpickled buffers
        # are not, and the kernel's random row reads miss the TLB (12 s against 10 s an iteration).
        self.params = Parameters(np.array(setup.W), np.array(setup.C))
        self.strata = stratum_cells(cells, n, worker, setup.step.mirror, setup.seed)
        self.steps = [setup.step._replace(mirror=setup.step.mirror and offset == 0) for offset in range(n)]
        for stratum, step in zip(self.strata, self.steps):
            check_kernel_inputs(stratum, self.params, step)

    def train(self, offset: int, c_rows: np.ndarray | None, blocks: np.ndarray, last_of_stratum: bool, end: bool):
        """Train ``blocks`` of stratum ``offset``, first writing ``c_rows`` (if given) as the
        rows of C it touches. Returns the blocks' costs (float64), then, at the stratum's end,
        those rows of C, and at the iteration's ``end`` this worker's rows of W (else None)."""
        n, c_block = self.n_workers, (self.worker + offset) % self.n_workers
        if c_rows is not None:
            self.params.C[c_block::n] = c_rows
        costs = np.zeros(blocks.shape[0], dtype=np.float64)
        with numba_threads(self.threads):
            train_blocks(self.strata[offset], self.params, self.steps[offset], blocks, costs)
        c_out = self.params.C[c_block::n].copy() if last_of_stratum else None
        w_out = self.params.W[self.worker :: n].copy() if end else None
        return costs, c_out, w_out


class ClusterRun(GloveLoop):
    """GloVe's iterations as DSGD rounds: ``N`` strata per iteration (in a random order), each
    cut into rounds so that the progress bar moves about as often as in one process."""

    part = "round"

    def __init__(self, cooc: Cooccurrences, config, state: GloveState, progress, log, checkpoint, client):
        if state.next_block:
            raise ConfigError(
                "this checkpoint stopped in the middle of an iteration of a one-process run; resume it without "
                "--cluster (a cluster run continues from iteration ends)"
            )
        n = len(client.nthreads())
        symmetric = cooc.options.symmetric
        self.n_blocks = -(-stratum_sizes(np.asarray(cooc.rows), np.asarray(cooc.cols), n, symmetric) // BLOCK_CELLS)
        self.per_stratum = max(1, ROUNDS_PER_ITERATION // n)
        super().__init__(
            state,
            name=config.name,
            epochs=config.epochs,
            n_parts=n * self.per_stratum,
            per_call=1,
            epoch_units=cooc.nnz,
            threads=config.n_threads,
            advice=f"lower --eta (now {config.eta:g}) or --grad-clip (now {config.grad_clip:g})",
            progress=progress,
            log=log,
            checkpoint=at_epoch_ends(checkpoint),
        )
        self.config, self.client, self.n_workers, self.workers = config, client, n, None
        self.rng = np.random.default_rng(config.seed)
        if state.rng_state is not None:
            self.rng.bit_generator.state = state.rng_state
        scalars = (np.float32(v) for v in (config.x_max, config.weight_exponent, config.eta, config.grad_clip))
        self.step = Step(BLOCK_CELLS, symmetric, *scalars)
        cells = None if cooc.entry is not None else Cells(*(np.asarray(a) for a in (cooc.rows, cooc.cols, cooc.values)))
        self.entry, self.cells = None if cooc.entry is None else str(cooc.entry), cells
        state.block_costs = np.zeros(int(self.n_blocks.sum()), dtype=np.float64)

    def start_epoch(self, epoch: int) -> None:
        if self.workers is None:
            threads = worker_threads(self.config.threads, self.client)
            setup = StratumSetup(
                self.entry, self.cells, self.n_workers, self.config.seed, self.step, threads, self.state.W, self.state.C
            )
            self.workers = Actors(self.client, StratumWorker, setup)
            if self.workers.n_workers != self.n_workers:  # the strata were cut for n_workers
                raise ClusterError(
                    f"the cluster went from {self.n_workers} to {self.workers.n_workers} workers while GloVe started; "
                    "run the command again"
                )
        self.state.rng_state = self.rng.bit_generator.state
        n = self.n_workers
        self.offsets = self.rng.permutation(n)
        self.orders = [
            [self.rng.permutation(self.n_blocks[w, o]).astype(np.int64) for w in range(n)] for o in self.offsets
        ]
        # where each worker's costs go in state.block_costs: stratum by stratum, worker by worker
        counts = np.array([[self.n_blocks[w, o] for w in range(n)] for o in self.offsets]).ravel()
        self.cost_base = np.concatenate([[0], np.cumsum(counts)])[:-1].reshape(n, n)
        self.filled = 0
        self.rounds, self.bytes = 0, 0
        self.state.block_costs[:] = 0.0

    def train(self, epoch: int, first: int, last: int) -> tuple[float, float]:
        n, stratum, chunk = self.n_workers, *divmod(first, self.per_stratum)
        offset = int(self.offsets[stratum])
        starting, ending = chunk == 0, chunk == self.per_stratum - 1
        end = last == self.n_parts
        calls, spans = [], []
        for w in range(n):
            order = self.orders[stratum][w]
            a, b = shares(0, order.shape[0], self.per_stratum)[chunk]
            c_rows = self.state.C[(w + offset) % n :: n] if starting else None
            calls.append((offset, c_rows, order[a:b], ending, end))
            spans.append((self.cost_base[stratum, w] + a, self.cost_base[stratum, w] + b))
        what = f"training round {self.rounds + 1} of iteration {epoch + 1}"
        results = self.workers.call("train", calls, what)
        self.rounds += 1
        for w, ((a, b), (costs, c_out, w_out)) in enumerate(zip(spans, results)):
            self.state.block_costs[a:b] = costs
            self.filled += b - a
            if c_out is not None:
                self.state.C[(w + offset) % n :: n] = c_out
            if w_out is not None:
                self.state.W[w::n] = w_out
            sent = [x for x in (calls[w][1], c_out, w_out) if x is not None]
            self.bytes += sum(x.nbytes for x in sent)
        return self.running_cost(), self.config.eta

    def running_cost(self) -> float:
        """J / cells over the blocks trained so far in this iteration."""
        total = self.state.block_costs.shape[0]
        return float(self.state.block_costs.sum() / max(1.0, self.epoch_units * self.filled / max(1, total)))

    def end_epoch(self, epoch: int, loss: float) -> str:
        summary = (
            f"{self.rounds} round(s) on {self.n_workers} workers, {self.bytes / 2**20:,.1f} MiB synchronised "
            "(blocks of C passed on, W gathered)"
        )
        return f"{super().end_epoch(epoch, loss)}; {summary}"
