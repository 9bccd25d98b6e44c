"""Data-parallel word2vec on a Dask cluster: a replica of W and C per worker, synchronised in
rounds (:mod:`embedkit.models.replicas`).

Round ``r`` of an epoch takes the next ``workers x ceil(sync_words / chunk_words)`` chunks of
the corpus and gives each worker one contiguous run of them, which it trains with the
one-process kernels (:class:`~embedkit.models.word2vec.ChunkTrainer`); then the tier of W and C
is combined (C's tier is its last rows with hierarchical softmax: the inner nodes are numbered
by increasing weight) by averaging the replicas' changes, each replica training at ``N`` times
the learning rate for ``N`` workers (the module notes of :mod:`~embedkit.models.replicas` say
why). A chunk keeps its place in the corpus, so the kernels' linear learning-rate decay follows
the global word count, and its (seed, epoch, chunk) random stream: one worker reproduces the
one-process run with ``threads=1`` bit for bit.

The client holds the synchronised W and C, which is what a checkpoint saves; mid-epoch the rows
outside the last tier are stale there, so checkpoints are offered at epoch ends only, and
``--resume`` continues from the last one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..config import Word2VecConfig
from ..encode import PreparedCorpus
from ..errors import ConfigError
from .replicas import Replicas, at_epoch_ends, shares, worker_threads
from .word2vec import ChunkTrainer, Word2VecState, _Run

#: Default words per worker per round (``--sync-words``): about 0.2 s of one thread's work;
#: 500,000 lost 2.2 analogy points on the shared corpus, 100,000 and 25,000 did better on a slice
#: (bench/cluster-train-*.md, docs/scaling.md).
SYNC_WORDS = 100_000


@dataclass
class ChunkPart:
    """What a word2vec replica trains: chunks, with the run's :class:`ChunkTrainer`."""

    trainer: ChunkTrainer
    reversed_tiers: tuple[bool, bool]

    def __post_init__(self):
        self.stats = np.zeros((self.trainer.n_chunks, 3), np.float64)

    def train(self, matrices, epoch: int, first: int, last: int) -> np.ndarray:
        """Train chunks ``first .. last-1``; their loss, examples, kept words, float64 (last - first, 3)."""
        if last > first:
            self.trainer.train(epoch, first, last, *matrices, self.stats)
        return self.stats[first:last].copy()


class ClusterRun(_Run):
    """word2vec's epoch loop with each kernel call replaced by one synchronised round."""

    def __init__(
        self,
        prepared: PreparedCorpus,
        config: Word2VecConfig,
        state: Word2VecState,
        progress,
        log,
        checkpoint,
        client,
        sync_words: int,
    ):
        check_cluster_config(config)
        config = dataclasses.replace(config, threads=worker_threads(config.threads, client))
        super().__init__(prepared, config, state, progress, log, at_epoch_ends(checkpoint))
        self.client, self.replicas = client, None
        n_workers = len(client.nthreads())
        self.per_call = -(-sync_words // config.chunk_words) * n_workers
        self.replica_trainer = scaled_trainer(self.trainer, n_workers)

    def start_epoch(self, epoch: int) -> None:
        super().start_epoch(epoch)
        if self.replicas is None:
            part = ChunkPart(self.replica_trainer, (False, self.config.loss == "hs"))
            matrices = (self.state.syn0, self.state.syn1)
            self.replicas = Replicas(self.client, part, matrices, self.config.threads)
        self.replicas.reset()

    def train(self, epoch: int, first: int, last: int) -> tuple[float, float]:
        ranges = shares(first, last, self.replicas.n_workers)
        what = f"training round {self.replicas.rounds + 1} of epoch {epoch + 1}"
        stats = self.replicas.round([(epoch, a, b) for a, b in ranges], what, last == self.n_parts)
        for (a, b), part_stats in zip(ranges, stats):
            self.state.chunk_stats[a:b] = part_stats
        return self.running_loss(last), self.replica_trainer.learning_rate(epoch, last)

    def end_epoch(self, epoch: int, loss: float) -> str:
        return f"{super().end_epoch(epoch, loss)}; {self.replicas.summary()}"


def scaled_trainer(trainer: ChunkTrainer, n_workers: int) -> ChunkTrainer:
    """The trainer each of ``n_workers`` replicas runs: ``trainer`` with its start and end
    learning rates (alpha, min_alpha) ``n_workers`` times higher, as the replicas' changes are
    averaged (the linear scaling rule, Goyal et al. 2017). One worker keeps ``trainer``'s rates."""
    schedule = trainer.schedule
    scaled = schedule._replace(alpha=schedule.alpha * n_workers, min_alpha=schedule.min_alpha * n_workers)
    return dataclasses.replace(trainer, schedule=scaled)


def check_cluster_config(config: Word2VecConfig) -> None:
    """Refuse what the cluster trainer does not do.

    Raises
    ------
    ConfigError
        For subword models (their bucket rows are not synchronised yet).
    """
    if config.subwords is not None:
        raise ConfigError("--cluster does not train subword models yet (maxn > 0): train them in one process")
