"""Signals end a run the way Ctrl-C does: cleanly, with one line, exit code 128 + signal.

:func:`handle_signals` turns SIGINT, SIGTERM and SIGHUP (what ``timeout``, ``docker stop`` and
batch schedulers send) into :class:`~embedkit.errors.Interrupted`, raised in the main thread at
the next Python bytecode — between kernel calls, never inside one. The exception unwinds through
every ``finally`` block, so temporary files, cache work directories and spill directories are
removed on the way out. :func:`stage` names what is running, for the closing line.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator

from .errors import Interrupted

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_stages: list[str] = []
_pending: list[Interrupted] = []


def _raise(signum: int, frame) -> None:
    if _pending:  # already unwinding: a second signal must not interrupt the cleanup itself
        return
    exc = Interrupted(signum)
    exc.stage = current_stage()
    _pending.append(exc)
    raise exc


def check() -> None:
    """Raise the pending :class:`Interrupted` again, if a signal arrived and its exception was
    swallowed (a handler that runs inside a ctypes callback or a ``__del__`` — e.g. while numba
    compiles — cannot propagate). Called between kernel calls and at stage boundaries."""
    if _pending:
        raise _pending[0]


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Install the handlers for the duration of the block (main thread only), then restore them."""
    previous = {sig: signal.signal(sig, _raise) for sig in HANDLED}
    unraisable_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_about_interrupts
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.unraisablehook = unraisable_hook
        _pending.clear()


def _quiet_about_interrupts(unraisable) -> None:
    """An Interrupted swallowed by a callback is raised again by :func:`check`: print nothing."""
    if not isinstance(unraisable.exc_value, Interrupted):
        sys.__unraisablehook__(unraisable)


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Mark ``name`` (e.g. ``"encoding the corpus"``) as running, for :func:`current_stage`."""
    check()
    _stages.append(name)
    try:
        yield
        check()
    finally:
        _stages.pop()


def interruption_behind(exc: BaseException) -> Interrupted | None:
    """The :class:`Interrupted` that ``exc`` stands for, or None: a signal raised inside a C
    callback (numba loading a cached kernel unpickles in one) surfaces as the callback's own
    error, a ``SystemError`` whose cause is the Interrupted. Looks along the causes and
    contexts, then at the signal pending."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, Interrupted):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return _pending[0] if _pending else None


def current_stage() -> str | None:
    """The innermost running stage, or None."""
    return _stages[-1] if _stages else None


def interrupted_message(exc: Interrupted) -> str:
    """The one line printed for an interrupted run."""
    where = getattr(exc, "stage", None)
    return f"interrupted by {exc.name}{f' while {where}' if where else ''}; no output was written"
