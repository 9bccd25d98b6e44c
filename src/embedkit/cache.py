"""The on-disk caches (encoded corpora, co-occurrence matrices): where they live, how an entry
is published, and how it is checked before it is trusted.

The rules, shared by every cache entry:

* **Location.** The ``cache_dir`` argument (``--cache-dir``), else ``$EMBEDKIT_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/embedkit``, else ``~/.cache/embedkit`` (only if the home directory exists). It
  is created if missing. When it cannot be used (it is a file, it is read-only, it cannot be
  created, the home directory is unknown or missing) the run works in a private temporary
  directory instead, with one warning line, and nothing is cached. A cache directory this run
  created and could not write an entry into (a full disk) is removed again if empty.
* **Publication.** An entry is built in a work directory beside its final name, its
  ``manifest.json`` is written last, and the work directory is renamed into place
  (:func:`embedkit.files.atomic_directory`): a reader sees a complete entry or none. Of two
  processes building the same entry at once, the first rename wins; both results are identical.
  Work directories of processes that no longer run (SIGKILL) are removed whenever their entry
  is looked up (:func:`embedkit.files.sweep_stale`).
* **Validation.** Before an entry is used, its manifest must exist, be of this
  :data:`FORMAT_VERSION`, and name the same inputs; every file it lists must have the recorded size
  and CRC-32 (whole files, streamed in 16 MiB blocks: about 1.4 GB/s, a quarter of a second for the
  550 MB co-occurrence files of a 100 MB corpus), every ``.npy`` header must agree with the file
  size, word ids must lie in ``[0, V)`` and co-occurrence values be finite and positive (checked
  in the same pass, so no kernel can index out of range or train on NaN). An entry that fails
  is rebuilt (and replaced) after one warning line naming the file and the fault. An entry that
  cannot be read (permission) is left alone and the run builds in a private temporary
  directory, with a warning.
* **Permissions.** Files get ``0666`` and directories ``0777`` minus the umask (a directory
  inherits the setgid bit of its parent), so a group-writable, setgid cache directory is shared.
* **Private directories** (``--no-cache``, fallbacks) are made with :func:`embedkit.files.scratch_directory` under
  ``$TMPDIR`` and removed as soon as the data is open (open files and memory maps keep it
  readable), or when building fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np

from .errors import EmbedkitError, StorageError, describe_os_error, storage_error
from .files import atomic_directory, scratch_directory, sweep_stale

#: Version of the entry layout; part of every key, so a new layout never reads an old entry.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
BLOCK_BYTES = 1 << 24
_T = TypeVar("_T")
Warn = Callable[[str], None]
#: Directories :func:`cache_root` created in this process, deepest first (see :func:`_remove_created_if_empty`).
_created_dirs: list[Path] = []


class DamagedEntry(Exception):
    """A cache entry failed validation; the message names the file and the fault."""


class CacheUnavailable(Exception):
    """The cache directory cannot be used; the message says why."""


def default_cache_dir() -> Path:
    """``$EMBEDKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/embedkit``, else ``~/.cache/embedkit``.

    Raises
    ------
    CacheUnavailable
        If the default is under the home directory and that is unknown or does not exist.
    """
    if os.environ.get("EMBEDKIT_CACHE_DIR"):
        return Path(os.environ["EMBEDKIT_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "embedkit"
    home = Path(os.path.expanduser("~"))
    if not home.is_absolute():
        raise CacheUnavailable("the home directory is unknown (HOME is not set)")
    if not home.is_dir():
        raise CacheUnavailable(f"the home directory {home} does not exist")
    return home / ".cache" / "embedkit"


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache directory, created if missing and checked to be writable.

    Raises
    ------
    CacheUnavailable
        If it is not a directory, cannot be created, or cannot be written.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    missing = [path for path in (root, *root.parents) if not os.path.lexists(path)]
    try:
        root.mkdir(parents=True, exist_ok=True)
        _created_dirs.extend(missing)
        fd, probe = tempfile.mkstemp(prefix=".probe.", dir=root)
        os.close(fd)
        os.unlink(probe)
    except FileExistsError:
        raise CacheUnavailable(f"{root} is not a directory") from None
    except OSError as exc:
        raise CacheUnavailable(f"{root}: {describe_os_error(exc)}") from None
    return root


def _remove_created_if_empty(target: Path) -> None:
    """Remove the directories above ``target`` that :func:`cache_root` created in this process, if
    they are still empty (nothing could be cached in them)."""
    for path in _created_dirs:
        if path in target.parents:
            with contextlib.suppress(OSError):
                path.rmdir()


def usable_cache_root(cache_dir: str | os.PathLike | None, warn: Warn) -> Path | None:
    """:func:`cache_root`, or None after one warning line if the cache directory cannot be used."""
    try:
        return cache_root(cache_dir)
    except CacheUnavailable as exc:
        warn(
            f"warning: cannot use the cache directory ({exc}); working in a private temporary "
            "directory, nothing is cached"
        )
        return None


def numba_cache_dir() -> Path:
    """Where numba keeps compiled kernels when it cannot write beside embedkit's sources.

    ``<cache dir>/numba`` when the cache directory is usable, else a per-user directory under
    ``$TMPDIR`` (``embedkit-numba-<uid>``, mode 0700, reused only if this user owns it), else a
    fresh temporary directory removed at exit. Never warns: :func:`usable_cache_root` does, once.
    """
    with contextlib.suppress(CacheUnavailable, OSError):
        path = cache_root() / "numba"
        path.mkdir(exist_ok=True)
        if os.access(path, os.W_OK | os.X_OK):
            return path
    path = Path(tempfile.gettempdir()) / f"embedkit-numba-{os.getuid()}"
    with contextlib.suppress(OSError):
        path.mkdir(mode=0o700, exist_ok=True)
        st = path.lstat()
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and os.access(path, os.W_OK | os.X_OK):
            return path
    import atexit

    path = Path(tempfile.mkdtemp(prefix="embedkit-numba-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def entry_key(inputs: dict, length: int = 20) -> str:
    """Hex digest naming the entry built from ``inputs`` (JSON-serialisable)."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:length]


@contextlib.contextmanager
def private_directory(name: str = "embedkit") -> Iterator[Path]:
    """A new private directory under ``$TMPDIR`` (:func:`embedkit.files.scratch_directory`),
    removed when the block ends, however it ends.

    Raises
    ------
    StorageError
        If the directory cannot be created, or the block fails to write into it (``OSError``).
    """
    with scratch_directory(name) as path:
        try:
            yield path
        except OSError as exc:
            raise storage_error(exc, "write temporary files in", path) from None


def read_npy_header(fh) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """``(shape, fortran_order, dtype, data_offset)`` of the ``.npy`` file open in ``fh``.

    Raises
    ------
    ValueError
        If the magic string or the header is not valid.
    """
    version = np.lib.format.read_magic(fh)
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in readers:
        raise ValueError(f"unsupported .npy version {version}")
    shape, fortran, dtype = readers[version](fh)
    return shape, fortran, dtype, fh.tell()


def _file_crc(fh, crc: int = 0, check: Callable[[memoryview], None] | None = None) -> int:
    """CRC-32 of the open file ``fh`` from its current position on, continuing ``crc``;
    ``check`` is called on each block (blocks are a multiple of 8 bytes, the last one excepted)."""
    buffer = bytearray(BLOCK_BYTES)
    view = memoryview(buffer)
    while True:
        n = fh.readinto(buffer)
        if not n:
            return crc
        crc = zlib.crc32(view[:n], crc)
        if check is not None:
            check(view[:n])


def write_manifest(directory: Path, kind: str, inputs: dict) -> None:
    """Record the size and CRC-32 of every file in ``directory`` (not sub-directories) in
    ``manifest.json``, written last."""
    files = {}
    for path in sorted(directory.iterdir()):
        if path.name != MANIFEST and path.is_file() and not path.is_symlink():
            with open(path, "rb", buffering=0) as fh:
                files[path.name] = {"bytes": os.fstat(fh.fileno()).st_size, "crc32": _file_crc(fh)}
    body = {"format": FORMAT_VERSION, "kind": kind, "inputs": inputs, "files": files}
    (directory / MANIFEST).write_text(json.dumps(body, indent=1, sort_keys=True))


class Manifest:
    """The manifest of a published entry, read and checked against the expected inputs.

    Raises
    ------
    DamagedEntry
        If ``manifest.json`` is missing, not valid JSON, of another format version or kind, or
        written for other inputs.
    PermissionError
        If the entry cannot be read.
    """

    def __init__(self, directory: Path, kind: str, inputs: dict):
        self.directory = directory
        try:
            body = json.loads((directory / MANIFEST).read_bytes())
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise DamagedEntry(f"{MANIFEST}: missing") from None
        except (ValueError, UnicodeDecodeError):
            raise DamagedEntry(f"{MANIFEST}: not valid JSON") from None
        if not isinstance(body, dict) or body.get("format") != FORMAT_VERSION or body.get("kind") != kind:
            raise DamagedEntry(f"{MANIFEST}: not a format-{FORMAT_VERSION} {kind} manifest")
        if body.get("inputs") != json.loads(json.dumps(inputs)):
            raise DamagedEntry(f"{MANIFEST}: written for other inputs")
        self.files = body.get("files") if isinstance(body.get("files"), dict) else {}

    def verify(self, name: str, dtype=None, high: int | None = None, positive: bool = False) -> tuple[Path, int]:
        """Check one file's size and CRC-32 (and, for an array, its header and value range).

        Parameters
        ----------
        name : str
            File name in the entry.
        dtype : numpy dtype, optional
            The file is a 1-d C-order ``.npy`` array of this dtype.
        high : int, optional
            Every value of the integer array must lie in ``[0, high)``.
        positive : bool
            Every value of the (float) array must be finite and > 0 (default False).

        Returns
        -------
        path : Path
        items : int
            Array length (file size in bytes for a non-array file).

        Raises
        ------
        DamagedEntry
            Missing, wrong size, bad header, value out of range (or not finite and positive),
            checksum mismatch.
        PermissionError
            If the file cannot be read.
        """
        record = self.files.get(name)
        if not isinstance(record, dict):
            raise DamagedEntry(f"{name}: not in the manifest")
        path = self.directory / name
        try:
            fh = open(path, "rb", buffering=0)
        except PermissionError:
            raise
        except OSError as exc:
            raise DamagedEntry(
                f"{name}: {'missing' if exc.errno == errno.ENOENT else describe_os_error(exc)}"
            ) from None
        with fh:
            size = os.fstat(fh.fileno()).st_size
            if size != record.get("bytes"):
                raise DamagedEntry(f"{name}: {size} bytes, the manifest says {record.get('bytes')}")
            items, check = size, None
            if dtype is not None:
                items, offset = self._array_header(fh, name, size, np.dtype(dtype))
                fh.seek(0)
                crc = zlib.crc32(fh.read(offset))
                if high is not None:
                    check = _range_check(name, np.dtype(dtype), high)
                elif positive:
                    check = _positive_check(name, np.dtype(dtype))
                crc = _file_crc(fh, crc, check)
            else:
                crc = _file_crc(fh)
        if crc != record.get("crc32"):
            raise DamagedEntry(f"{name}: checksum mismatch")
        return path, items

    @staticmethod
    def _array_header(fh, name: str, size: int, dtype: np.dtype) -> tuple[int, int]:
        try:
            shape, fortran, found, offset = read_npy_header(fh)
        except (ValueError, SyntaxError, EOFError):
            raise DamagedEntry(f"{name}: not a valid .npy file") from None
        if found != dtype or fortran or len(shape) != 1 or offset + shape[0] * dtype.itemsize != size:
            raise DamagedEntry(f"{name}: the .npy header does not match the file")
        return shape[0], offset


def _range_check(name: str, dtype: np.dtype, high: int) -> Callable[[memoryview], None]:
    def check(block: memoryview) -> None:
        values = np.frombuffer(block, dtype=dtype)
        if values.size and (values.min() < 0 or values.max() >= high):
            raise DamagedEntry(f"{name}: values outside 0..{high - 1}")

    return check


def _positive_check(name: str, dtype: np.dtype) -> Callable[[memoryview], None]:
    def check(block: memoryview) -> None:
        values = np.frombuffer(block, dtype=dtype)
        if values.size and not (values.min() > 0 and values.max() < np.inf):  # NaN fails both
            raise DamagedEntry(f"{name}: values that are not finite and positive")

    return check


def stderr_warning(message: str) -> None:
    """Default warning sink: one line on standard error."""
    print(message, file=sys.stderr)


def load_or_build(
    target: Path | None,
    kind: str,
    inputs: dict,
    build: Callable[[Path], None],
    open_entry: Callable[[Path, Manifest | None], _T],
    log: Callable[[str], None],
    warn: Warn,
) -> tuple[_T, Path | None, bool]:
    """Open the cache entry ``target`` if it is valid, else build it (or build privately).

    Parameters
    ----------
    target : Path or None
        The entry's directory; None builds in a private temporary directory and caches nothing.
    kind : str
        What the entry holds, in words (``"encoded corpus"``); recorded in the manifest.
    inputs : dict
        Everything the content depends on (JSON-serialisable); recorded and compared.
    build : callable(work_dir)
        Writes the entry's files into ``work_dir``.
    open_entry : callable(directory, manifest or None) -> result
        Opens the files (keeping open files or memory maps, so the result stays readable when the
        directory is renamed or removed). With a :class:`Manifest` it must verify every file
        through it and raise :class:`DamagedEntry` (or ``ValueError``/``KeyError``/
        :class:`~embedkit.errors.EmbedkitError``) on any inconsistency.
    log, warn : callable
        Progress notes; warning lines (damaged or unreadable entry, cache not writable).

    Returns
    -------
    result
        What ``open_entry`` returned.
    directory : Path or None
        ``target`` if the result is (now) in the cache, None if it was built privately.
    from_cache : bool
        True if a valid entry was found.

    Raises
    ------
    StorageError
        If even the private temporary directory cannot be written.
    """
    replace = False
    if target is not None:
        sweep_stale(target)
    if target is not None and os.path.lexists(target):
        try:
            result = _open_verified(target, kind, inputs, open_entry)
            log(f"using cached {kind} {target}")
            return result, target, True
        except DamagedEntry as exc:
            warn(f"warning: cache entry {target} is damaged ({exc}); rebuilding")
            replace = True
        except PermissionError as exc:
            warn(
                f"warning: cannot read cache entry {target} ({describe_os_error(exc)}); building in a "
                "private temporary directory"
            )
            target = None
    if target is not None:
        result = None
        try:
            with atomic_directory(target, replace) as work:
                build(work)
                write_manifest(work, kind, inputs)
                result = open_entry(work, None)
            return result, target, False
        except (StorageError, OSError) as exc:
            reason = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
            if result is not None:  # built and open, only the rename failed
                warn(f"warning: cannot publish cache entry {target} ({reason}); it is not cached")
                return result, None, False
            warn(f"warning: cannot write cache entry {target} ({reason}); building in a private temporary directory")
            _remove_created_if_empty(target)
    with private_directory() as work:
        build(work)
        return open_entry(work, None), None, False


def _open_verified(target: Path, kind: str, inputs: dict, open_entry: Callable[[Path, Manifest | None], _T]) -> _T:
    try:
        return open_entry(target, Manifest(target, kind, inputs))
    except (DamagedEntry, PermissionError):
        raise
    except (ValueError, KeyError, TypeError, EmbedkitError, OSError) as exc:
        raise DamagedEntry(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
