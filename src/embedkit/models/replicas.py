"""Replicas of a run's parameters on a Dask cluster, synchronised in rounds (data-parallel training).

Each worker holds a :class:`Replica` (a Dask actor, started by :class:`Actors`, which GloVe's
stratified training in :mod:`embedkit.models.glove_cluster` uses too): the run's *part* — what
it trains: word2vec's corpus chunks (:mod:`embedkit.models.word2vec_cluster`) — and its own
copy of the parameter matrices. The client
runs the epoch loop; each of its kernel calls becomes one round (:meth:`Replicas.round`): every
worker trains its share of the call's units, then the replicas are synchronised:

* **Tier** (pWord2Vec, Ji et al. 2016, arXiv:1611.06172): round ``r`` (counted from 1 within
  the epoch) synchronises the rows of the ``T_r = 1024 * 2**tz(r)`` most frequent words (tz:
  trailing zero bits of ``r``) — the frequent words every round, twice as many every second
  round, and so on — and every row in the last round of the epoch. Vocabulary ids are in
  decreasing frequency, so a tier is the first ``T_r`` rows of a matrix, or its last ones for
  a matrix ordered the other way (the inner nodes of word2vec's Huffman tree).
* **Combining** (:func:`combine`): the client keeps the last synchronised value ``base`` of
  every row (the run's state); the replicas' changes since then are averaged, the replicas
  training at ``N`` times the learning rate (the linear scaling rule of large-batch SGD, Goyal et al. 2017,
  arXiv:1706.02677): where a row's updates are few and small (a rare word) the mean of ``N``
  changes at ``N`` times the rate is their sum, Hogwild's semantics; where every replica drives
  a row to the same point within a round (a frequent word) it is that point, where the sum
  would overshoot ``N`` times (measured on a 4.4M-token slice, 3 epochs, WS-353 / analogy: one
  process 0.480 / 0.111; 4 workers: sum diverged, averaging at ``N`` times the rate
  0.493 / 0.108). Plain averaging at the same rate is Spark MLlib's scheme and divides each
  worker's progress by ``N``. With one worker the result is the replica itself, exactly, so
  one worker reproduces the one-process run with one thread bit for bit.

What crosses the network per round: each worker sends its tier rows and receives the combined
ones, ``2 x workers x T_r x row bytes`` per matrix, through the client. A lost worker or
connection stops the run with one :class:`~embedkit.errors.ClusterError` line
(:func:`embedkit.cluster.cluster_errors`). ``docs/scaling.md`` models the cost.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Sequence

import numpy as np

from .._numba import numba_threads
from ..cluster import cluster_errors
from ..errors import ClusterError

#: What distributed's actor calls raise when their worker is gone.
_LOST_ACTOR = "Unable to contact Actor's worker"

#: Seconds between two looks at the workers while a round runs.
_POLL_S = 1.0

#: Rows of the smallest tier (pWord2Vec's 1024).
FIRST_TIER = 1024


def tier_size(round_number: int, n_rows: int) -> int:
    """Rows synchronised in ``round_number`` (>= 1): ``1024 * 2**tz(round_number)``, at most ``n_rows``."""
    trailing_zeros = (round_number & -round_number).bit_length() - 1
    return min(n_rows, FIRST_TIER << min(trailing_zeros, 40))


def tier_slice(n_rows: int, tier: int, reversed_tier: bool) -> slice:
    """The rows of a tier of ``tier`` rows in a matrix of ``n_rows``: the first, or the last."""
    tier = min(tier, n_rows)
    return slice(n_rows - tier, n_rows) if reversed_tier else slice(0, tier)


class Replica:
    """One worker's copy of a run (a Dask actor; its methods run on the worker).

    Parameters
    ----------
    start : bytes
        The pickled ``(part, matrices)``: ``part.train(matrices, *work)`` trains one share of a
        round in place and returns its statistics (an array); ``part.reversed_tiers`` says, per
        matrix, whether its tier is its last rows. ``matrices``: the synchronised parameters.
    threads : int
        numba threads for each share.
    worker : int
        This worker's index (every replica trains what it is given: unused).
    """

    def __init__(self, start: bytes, threads: int, worker: int):
        self.part, self.matrices = pickle.loads(start)
        self.threads = threads

    def step(self, update: Sequence[np.ndarray] | None, tier: int, work: tuple):
        """Write the last round's combined rows (``update``, one array per matrix, or None),
        train ``work``, return (its statistics, this replica's rows of the round's ``tier``)."""
        reverse = self.part.reversed_tiers
        if update is not None:
            for matrix, rows, rev in zip(self.matrices, update, reverse):
                matrix[tier_slice(len(matrix), len(rows), rev)] = rows
        with numba_threads(self.threads):
            stats = self.part.train(self.matrices, *work)
        return stats, [m[tier_slice(len(m), tier, rev)].copy() for m, rev in zip(self.matrices, reverse)]


class Actors:
    """One Dask actor per worker of ``client``, and their calls, watched for lost workers.

    Parameters
    ----------
    client : distributed.Client
    actor : type
        Built on each worker as ``actor(start, *args, worker_index)`` (its index in the sorted
        worker addresses).
    start : object
        Pickled here, so that what cannot travel fails in this process, and scattered once.
    args : tuple
        Further arguments of every actor.

    Raises
    ------
    ClusterError
        If a worker is lost or the connection drops (here and in :meth:`call`).
    """

    def __init__(self, client, actor: type, start, args: tuple = ()):
        self.client = client
        self.addresses = sorted(client.nthreads())
        self.n_workers = len(self.addresses)
        blob = pickle.dumps(start, protocol=pickle.HIGHEST_PROTOCOL)
        with cluster_errors("starting the replicas"):
            scattered = client.scatter(blob, broadcast=True, hash=False)
            self._futures = [  # the actors live as long as their futures
                client.submit(actor, scattered, *args, w, actor=True, workers=[address], pure=False)
                for w, address in enumerate(self.addresses)
            ]
            self.actors = [self._result(future, "starting the replicas") for future in self._futures]

    def call(self, method: str, arguments: Sequence[tuple], what: str) -> list:
        """``actor.method(*arguments[w])`` on every worker ``w`` at once; their results."""
        with cluster_errors(what):
            calls = [getattr(actor, method)(*args) for actor, args in zip(self.actors, arguments)]
            return [self._result(call, what) for call in calls]

    def _result(self, call, what: str):
        """The result of an actor (or its creation, a future); ClusterError as soon as one of
        the replicas' workers is gone (an actor is pinned to its worker and not rebuilt
        elsewhere, its state would be lost: the call would wait for ever)."""
        while True:
            try:
                return call.result(timeout=_POLL_S)
            except TimeoutError:
                gone = set(self.addresses) - set(self.client.nthreads())
                if gone:
                    raise ClusterError(f"{what}: lost worker {min(gone)}; nothing was written") from None
            except OSError as exc:
                if str(exc) != _LOST_ACTOR:
                    raise
                raise ClusterError(f"{what}: lost a worker ({exc}); nothing was written") from None


class Replicas(Actors):
    """The client's side: one :class:`Replica` per worker of ``client``, and the rounds.

    Parameters
    ----------
    client : distributed.Client
    part : object
        What each replica trains (see :class:`Replica`); pickled here, so that what cannot
        travel fails in this process, and scattered once to every worker.
    matrices : sequence of ndarray
        The run's parameters; they hold the synchronised values and are updated in place.
    threads : int
        numba threads per worker.

    Raises
    ------
    ClusterError
        If a worker is lost or the connection drops (here and in :meth:`round`).
    """

    def __init__(self, client, part, matrices: Sequence[np.ndarray], threads: int):
        self.matrices, self.reverse = list(matrices), part.reversed_tiers
        super().__init__(client, Replica, (part, self.matrices), (threads,))
        self.pending = None  # the last round's combined rows, written with the next step
        self.reset()

    def reset(self) -> None:
        """Start counting rounds (and bytes, seconds) of a new epoch."""
        self.rounds, self.bytes, self.combine_seconds = 0, 0, 0.0

    def round(self, work: Sequence[tuple], what: str, last_of_epoch: bool) -> list:
        """One round: worker ``w`` trains ``work[w]``, then the tier (every row if
        ``last_of_epoch``) is combined into the matrices. Returns the workers' statistics."""
        self.rounds += 1
        tier = max(len(m) for m in self.matrices) if last_of_epoch else tier_size(self.rounds, len(self.matrices[0]))
        results = self.call("step", [(self.pending, tier, share) for share in work], what)
        started = time.perf_counter()
        self.pending = [
            combine(matrix, [rows[k] for _, rows in results], tier_slice(len(matrix), tier, rev))
            for k, (matrix, rev) in enumerate(zip(self.matrices, self.reverse))
        ]
        self.bytes += 2 * sum(r.nbytes for _, rows in results for r in rows)  # up, and down again
        self.combine_seconds += time.perf_counter() - started
        return [stats for stats, _ in results]

    def summary(self) -> str:
        """The epoch's rounds, bytes and combining time, for the end-of-epoch line."""
        return (
            f"{self.rounds} round(s) on {self.n_workers} workers, {self.bytes / 2**20:,.1f} MiB synchronised, "
            f"combining {self.combine_seconds:.2f} s"
        )


def combine(base: np.ndarray, replicas: list[np.ndarray], rows: slice) -> np.ndarray:
    """The synchronised value of ``rows`` from the replicas' values there (each float32, the
    shape of ``base[rows]``): written into ``base`` (the last synchronised value) and returned.

    The mean of the replicas' changes ``x_w - base`` is added to ``base`` (the module notes say
    why); with one replica the result is ``x_1`` itself, exactly.
    """
    if len(replicas) == 1:
        combined = replicas[0].copy()
    else:
        start = base[rows]
        combined = start + np.sum([x - start for x in replicas], axis=0) / np.float32(len(replicas))
    base[rows] = combined
    return combined


def worker_threads(threads: int, client) -> int:
    """numba threads per worker: ``threads`` (a config's), or 0 for the fewest any worker has."""
    return threads or min(client.nthreads().values())


def at_epoch_ends(checkpoint):
    """``checkpoint`` offered at epoch ends only (mid-epoch the client's rows outside the last
    tier are stale), or None."""
    return None if checkpoint is None else lambda state, epoch_end: epoch_end and checkpoint(state, True)


def shares(first: int, last: int, n_workers: int) -> list[tuple[int, int]]:
    """``first .. last`` cut into ``n_workers`` contiguous ranges of (nearly) equal length."""
    bounds = np.linspace(first, last, n_workers + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
