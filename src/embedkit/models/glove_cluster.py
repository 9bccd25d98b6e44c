"""Data-parallel GloVe on a Dask cluster: a replica of W and C (with their biases and AdaGrad
sums) per worker, synchronised in rounds (:mod:`embedkit.models.replicas`).

Every worker holds the shuffled cells — read from the co-occurrence cache entry on the shared
storage and shuffled with the run's seed, so they equal the client's — and each round gives
each worker a contiguous share of the round's blocks in the iteration's block order. Rows hold
a word's vector, bias and squared-gradient sums together; the replicas' changes are added up
(each cell is trained by one replica only), AdaGrad sums included. With one worker the run is
the one-process run with ``threads=1``, bit for bit. Checkpoints are offered at iteration ends
only (as word2vec's on a cluster).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..cooccur import Cooccurrences
from ._glove_kernels import Cells, Parameters, Step, shuffle_cells, train_blocks
from .glove import _Run
from .replicas import Replicas, at_epoch_ends, shares, worker_threads


@dataclass
class BlockPart:
    """What a GloVe replica trains: blocks of the shuffled cells.

    ``entry`` is the co-occurrence cache entry the cells are read from (each worker shuffles
    them with ``seed``), or None, when ``cells`` travel themselves (an uncached matrix).
    """

    entry: str | None
    cells: Cells | None
    seed: int
    step: Step
    reversed_tiers: tuple[bool, bool] = (False, False)
    averaged: ClassVar[bool] = False

    def __getstate__(self) -> dict:
        return {**self.__dict__, "cells": None} if self.entry else dict(self.__dict__)

    def train(self, matrices, blocks: np.ndarray) -> np.ndarray:
        """Train ``blocks`` (int64 indices) in order; their costs, float64 (len(blocks),)."""
        if self.cells is None:
            cooc = Cooccurrences.load(self.entry)
            self.cells = Cells(*(np.array(a) for a in (cooc.rows, cooc.cols, cooc.values)))
            shuffle_cells(*self.cells, self.seed)
        costs = np.zeros(len(blocks), np.float64)
        train_blocks(self.cells, Parameters(*matrices), self.step, blocks, costs)
        return costs


class ClusterRun(_Run):
    """GloVe's iteration loop with each kernel call replaced by one synchronised round."""

    def __init__(self, cells: Cells, cooc: Cooccurrences, config, state, progress, log, checkpoint, client):
        super().__init__(cells, cooc, config, state, progress, log, at_epoch_ends(checkpoint))
        self.threads = worker_threads(config.threads, client)
        entry = None if cooc.entry is None else str(cooc.entry)
        self.part = BlockPart(entry, cells, config.seed, self.step)
        self.client, self.replicas = client, None

    def start_epoch(self, epoch: int) -> None:
        super().start_epoch(epoch)
        if self.replicas is None:
            self.replicas = Replicas(self.client, self.part, (self.state.W, self.state.C), self.threads)
        self.replicas.reset()

    def train(self, epoch: int, first: int, last: int) -> tuple[float, float]:
        ranges = shares(first, last, self.replicas.n_workers)
        what = f"training round {self.replicas.rounds + 1} of iteration {epoch + 1}"
        costs = self.replicas.round([(self.order[a:b],) for a, b in ranges], what, last == self.n_parts)
        for (a, b), part_costs in zip(ranges, costs):
            self.state.block_costs[a:b] = part_costs
        return self.running_cost(last), self.config.eta

    def end_epoch(self, epoch: int, loss: float) -> str:
        return f"{super().end_epoch(epoch, loss)}; {self.replicas.summary()}"
