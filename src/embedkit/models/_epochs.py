"""The epoch loop shared by the iterative trainers (word2vec and GloVe).

A run is ``epochs`` passes over ``n_parts`` units of parallel work (word2vec's chunks of the
corpus, GloVe's blocks of cells); each kernel call trains ``per_call`` of them. Between calls
(never inside one) the loop updates the progress bar (units/s, epoch, learning rate, loss, ETA),
notices signals, records the position in the state and offers a checkpoint; after each epoch
it refuses NaN/Inf losses or parameters (umap's lesson: fast maths can diverge silently).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from tqdm.auto import tqdm

from .. import signals
from .._numba import numba_threads
from ..errors import TrainingError


class EpochLoop:
    """The loop of :meth:`run`, with hooks a trainer fills in.

    Parameters
    ----------
    state : dataclass
        The trainer's state: ``epoch`` (epochs done), ``seconds`` (training time so far) and the
        attribute named by :attr:`position` (parts of the current epoch done) are read and
        updated; the state is what ``checkpoint`` receives.
    name : str
        Model name, for the bar and the messages.
    epochs, n_parts, per_call : int
        The schedule: epochs, parts per epoch, parts per kernel call.
    epoch_units : int
        What the bar counts per epoch (tokens, cells).
    threads : int
        numba threads during the run (restored afterwards).
    advice : str
        What to lower when training diverges (``"lower --alpha (now 0.025)"``).
    progress, log, checkpoint
        As the trainers take them: a tqdm bar; the end-of-epoch lines;
        ``checkpoint(state, epoch_end)`` after each kernel call.

    Raises
    ------
    TrainingError
        If the state's position lies outside the ``n_parts`` parts.
    """

    #: Name of the state attribute holding the position within the epoch.
    position = "next_part"
    #: What a part is called (``chunk``, ``block``), what holds them (``corpus``), the bar's unit.
    part, whole, unit = "part", "input", "unit"

    def __init__(
        self,
        state,
        *,
        name: str,
        epochs: int,
        n_parts: int,
        per_call: int,
        epoch_units: int,
        threads: int,
        advice: str,
        progress: bool = True,
        log: Callable[[str], None] | None = None,
        checkpoint: Callable[[object, bool], None] | None = None,
    ):
        self.state, self.name, self.epochs, self.n_parts, self.per_call = state, name, epochs, n_parts, per_call
        self.epoch_units, self.threads, self.advice = epoch_units, threads, advice
        self.progress, self.log, self.checkpoint = progress, log, checkpoint
        at = getattr(state, self.position)
        if not 0 <= at < n_parts:
            raise TrainingError(
                f"the saved position ({self.part} {at}) is past this {self.whole}'s {n_parts} {self.part}s"
            )

    # ------------------------------------------------------------------ hooks

    def done_units(self, parts: int) -> int:
        """Units of an epoch done after its first ``parts`` parts (default: proportional)."""
        return self.epoch_units * parts // self.n_parts

    def start_epoch(self, epoch: int) -> None:
        """Called before the first kernel call of ``epoch`` (also when resuming mid-epoch)."""

    def train(self, epoch: int, first: int, last: int) -> tuple[float, float]:
        """Train parts ``first .. last-1`` of ``epoch``; return (running loss of the epoch, learning rate)."""
        raise NotImplementedError

    def epoch_loss(self) -> float:
        """The loss of the epoch just trained."""
        raise NotImplementedError

    def parameters(self) -> tuple[np.ndarray, ...]:
        """The arrays that must stay finite."""
        raise NotImplementedError

    def end_epoch(self, epoch: int, loss: float) -> str:
        """Record the finished ``epoch`` in the state; return its log line."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the loop

    def run(self) -> None:
        """Train from the state's position to the end of the schedule.

        Raises
        ------
        TrainingError
            If the loss or the parameters become NaN/Inf (with :attr:`advice`), or a hook refuses.
        """
        state = self.state
        resumed_at = time.perf_counter() - state.seconds
        initial = state.epoch * self.epoch_units + self.done_units(getattr(state, self.position))
        bar = tqdm(
            total=self.epoch_units * self.epochs,
            initial=initial,
            unit=self.unit,
            unit_scale=True,
            desc=self.name,
            disable=not self.progress,
        )
        with numba_threads(self.threads), bar:
            for epoch in range(state.epoch, self.epochs):
                self.start_epoch(epoch)
                for first in range(getattr(state, self.position), self.n_parts, self.per_call):
                    last = min(first + self.per_call, self.n_parts)
                    loss, rate = self.train(epoch, first, last)
                    bar.set_postfix(
                        epoch=f"{epoch + 1}/{self.epochs}", lr=f"{rate:.4g}", loss=f"{loss:.4f}", refresh=False
                    )
                    bar.update(self.done_units(last) - self.done_units(first))
                    signals.check()  # a signal whose exception was swallowed (e.g. during compilation)
                    if last < self.n_parts:
                        setattr(state, self.position, last)
                        state.seconds = time.perf_counter() - resumed_at
                        if self.checkpoint:
                            self.checkpoint(state, False)
                loss = self.epoch_loss()
                if not (np.isfinite(loss) and all(np.isfinite(a).all() for a in self.parameters())):
                    raise TrainingError(
                        f"{self.name} diverged in epoch {epoch + 1} (NaN/Inf loss or vectors); {self.advice}"
                    )
                line = self.end_epoch(epoch, loss)
                state.epoch = epoch + 1
                setattr(state, self.position, 0)
                state.seconds = time.perf_counter() - resumed_at
                if self.log:
                    self.log(line)
                if self.checkpoint:
                    self.checkpoint(state, True)
