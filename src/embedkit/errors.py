"""Exceptions that carry a user-facing, one-line message, and the translation of OS errors.

The error policy: every failure a user can cause (a bad option, a bad file, a full disk, a
signal) reaches the command line as an :class:`EmbedkitError` subclass, which the CLI prints as
``Error: <message>`` with exit code 1 (``--debug`` shows the traceback instead). Messages name
the file or option at fault and say what to do. ``OSError`` from the file system is translated
where files are opened and written (:func:`storage_error`); library users can catch the
subclasses.
"""

from __future__ import annotations

import errno
import os
import signal


class EmbedkitError(Exception):
    """Base class of the errors embedkit reports to users in one line."""


class CorpusError(EmbedkitError):
    """The corpus is missing, empty, unreadable, binary or yields no vocabulary."""


class VectorsFormatError(EmbedkitError):
    """A vectors file is malformed, truncated or in an unknown format."""


class UnknownWordError(EmbedkitError, KeyError):
    """A query word is not in the vocabulary of the loaded vectors."""

    def __init__(self, word: str):
        super().__init__(word)
        self.word = word

    def __str__(self) -> str:
        return f"word not in vocabulary: {self.word!r}"


class DatasetError(EmbedkitError):
    """An evaluation set is unknown, missing, malformed, or cannot be scored on these vectors."""


class ZeroVectorError(EmbedkitError):
    """A query word has a zero (or non-finite) vector, or the query words cancel out."""


class ConfigError(EmbedkitError):
    """A configuration value or file is invalid (unknown key, out-of-range value)."""


class TrainingError(EmbedkitError):
    """Training diverged (NaN/Inf parameters) or cannot proceed."""


class ModelError(EmbedkitError):
    """A model directory is missing, damaged, of another version, or does not fit the corpus."""


class StorageError(EmbedkitError):
    """The file system refused a read or a write (disk full, permission, read-only, not a file)."""


class ClusterError(EmbedkitError):
    """A Dask cluster cannot be used: Dask missing, scheduler unreachable, no workers, versions
    differ, or a worker cannot see the data."""


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived; raised from the signal handler so that every
    ``finally`` block and temporary-file cleanup runs before the process exits 128 + signal.

    A ``BaseException`` (like ``KeyboardInterrupt``) so that ``except Exception`` does not
    swallow it.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_HINTS = {
    errno.ENOSPC: "no space left on the device; free some space or write elsewhere",
    errno.EDQUOT: "disk quota exceeded; free some space or write elsewhere",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only; write elsewhere",
    errno.EISDIR: "it is a directory",
    errno.ENOTDIR: "a component of the path is not a directory",
    errno.ENOENT: "no such file or directory",
    errno.EEXIST: "it exists and is not what was expected",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EMFILE: "too many open files",
    errno.EIO: "input/output error",
}


def describe_os_error(exc: OSError) -> str:
    """The reason of an ``OSError`` in words, with what to do where there is something to do."""
    return _HINTS.get(exc.errno, exc.strerror or str(exc))


def storage_error(exc: OSError, action: str, path: str | os.PathLike | None = None) -> StorageError:
    """A :class:`StorageError` saying ``cannot <action> <path>: <reason>``.

    ``path`` defaults to the file named by ``exc``.
    """
    where = path if path is not None else (exc.filename or "")
    return StorageError(f"cannot {action} {where}: {describe_os_error(exc)}".replace("  ", " "))
