"""Writing files and directories safely: atomic publication, output checks, free space.

The rules every writer in embedkit follows:

* a file is written under a temporary name beside its target, flushed to disk (``fsync``) and
  renamed over the target only when complete (:func:`atomic_writer`), so a failure, a full
  disk or a signal never leaves a partial file where the target was;
* a directory (a cache entry, a model) is built in a temporary directory beside its target and
  renamed into place as a whole (:func:`atomic_directory`), so a reader sees all of it or
  nothing;
* an output path is checked before any work starts (:func:`check_output_path`): its directory
  exists and is writable, it is not a directory, not a device or FIFO, and not one of the inputs;
* temporary names carry the writer's pid, so the next writer removes what a SIGKILLed one left
  (:func:`sweep_stale`);
* file-system failures become :class:`~embedkit.errors.StorageError` naming the file.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import EmbedkitError, StorageError, describe_os_error, storage_error

TEMP_SUFFIX = ".tmp"


def _temp_prefix(name: str) -> str:
    """Prefix of the temporary siblings of ``name``; it holds the writer's pid (see :func:`sweep_stale`)."""
    return f".{name}.{os.getpid()}."


def sweep_stale(target: str | os.PathLike) -> int:
    """Remove the temporary siblings of ``target`` left by writers that no longer run.

    A writer killed with SIGKILL (or by a power cut) cannot clean up; its temporary file or work
    directory carries its pid, so the next writer of the same target removes it once that pid is
    gone. Live writers' files are never touched.

    Returns
    -------
    int
        Number of entries removed.
    """
    target = Path(target)
    removed = 0
    try:
        siblings = list(target.parent.glob(f".{glob_escape(target.name)}.*{TEMP_SUFFIX}"))
    except OSError:
        return 0
    for sibling in siblings:
        pid = sibling.name[len(target.name) + 2 :].split(".", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            if sibling.is_dir() and not sibling.is_symlink():
                shutil.rmtree(sibling)
            else:
                sibling.unlink()
            removed += 1
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs. A zombie does not: a process killed with SIGKILL stays one until its
    parent (often an init that never reaps, in a container) waits for it, and kill(pid, 0)
    still succeeds on it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def current_umask() -> int:
    """The process's umask (read without changing it for longer than one call)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path``; fsync and rename it to ``path`` when the block succeeds.

    Parameters
    ----------
    path : str or PathLike
        Final destination. Its directory must exist.
    mode : {"wb", "w"}
        Binary or text (UTF-8, ``\\n`` newlines) mode.

    On any exception (``Interrupted`` by a signal included) the temporary file is removed and
    ``path`` is left untouched. The file gets the permissions a plain ``open`` would give it
    (0666 minus the umask), not mkstemp's 0600.

    Raises
    ------
    StorageError
        If the directory does not exist or is not writable, or a write fails (e.g. ENOSPC).
    """
    path = Path(path)
    sweep_stale(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path.name), suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise storage_error(exc, "write", path) from None
    try:
        try:
            os.fchmod(fd, 0o666 & ~current_umask())
            fh = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline="\n")
            with fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise storage_error(exc, "write", path) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike, replace: bool = False, mode: int | None = None) -> Iterator[Path]:
    """Build a directory under a temporary name beside ``target``; rename it into place on success.

    Parameters
    ----------
    target : str or PathLike
        The directory to publish. Its parent is created if missing.
    replace : bool
        If ``target`` already exists: False (default) keeps it and discards the new one (the
        first of two concurrent builders wins; both are correct); True replaces it (the old one
        is moved aside first, then removed).
    mode : int, optional
        Permission bits of the published directory (default 0777 minus the umask, plus the
        parent's setgid bit, so a shared group directory stays shared).

    Yields
    ------
    Path
        The work directory to fill. On any exception it is removed and ``target`` untouched.

    Raises
    ------
    StorageError
        If the parent cannot be created or written.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(target)
        work = Path(tempfile.mkdtemp(prefix=_temp_prefix(target.name), suffix=TEMP_SUFFIX, dir=target.parent))
        os.chmod(work, _directory_mode(target.parent) if mode is None else mode)
    except OSError as exc:
        raise storage_error(exc, "create", target.parent) from None
    try:
        yield work
        _publish(work, target, replace)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _directory_mode(parent: Path) -> int:
    """0777 minus the umask, plus setgid if ``parent`` has it (mkdtemp's 0700 would hide the
    directory from the group)."""
    mode = 0o777 & ~current_umask()
    with contextlib.suppress(OSError):
        mode |= parent.stat().st_mode & stat.S_ISGID
    return mode


@contextlib.contextmanager
def scratch_directory(name: str) -> Iterator[Path]:
    """A private directory (mode 0700) under ``$TMPDIR``, removed when the block ends, however it ends.

    Parameters
    ----------
    name : str
        What the directory is for (``"embedkit-glove"``); its name is ``.NAME.PID.XXXX.tmp``, so
        one left by a killed process is removed by the next scratch directory of the same name
        (:func:`sweep_stale`).

    Raises
    ------
    StorageError
        If the directory cannot be created.
    """
    base = Path(tempfile.gettempdir())
    sweep_stale(base / name)
    try:
        path = Path(tempfile.mkdtemp(prefix=_temp_prefix(name), suffix=TEMP_SUFFIX, dir=base))
    except OSError as exc:
        raise storage_error(exc, "create a temporary directory in", base) from None
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _publish(work: Path, target: Path, replace: bool) -> None:
    try:
        os.rename(work, target)
        return
    except OSError as exc:
        if not target.exists():
            raise storage_error(exc, "create", target) from None
    if not replace:
        return  # another process published the same entry first
    old = Path(tempfile.mkdtemp(prefix=_temp_prefix(target.name), suffix=TEMP_SUFFIX, dir=target.parent))
    try:
        os.rename(target, old / "entry")
        os.rename(work, target)
    except OSError as exc:
        raise storage_error(exc, "replace", target) from None
    finally:
        shutil.rmtree(old, ignore_errors=True)


def check_output_path(path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (), what: str = "output") -> Path:
    """Refuse an output path that cannot or must not be written, before any work starts.

    Parameters
    ----------
    path : str or PathLike
        The file to be written (it may exist: it will be replaced atomically).
    inputs : iterable of paths
        Files the run reads (or other outputs of the run); writing over one of them is refused.
    what : str
        How the message names the path (``"output"``, ``"--save-vocab"``).

    Returns
    -------
    Path

    Raises
    ------
    StorageError
        If ``path`` is a directory, exists and is not a regular file (device, FIFO, socket), is
        one of ``inputs``, or its directory is missing or not writable.
    """
    if not str(path).strip():
        raise StorageError(f"the {what} path is empty; give a file name")
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise storage_error(exc, f"write {what}", path) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise StorageError(f"cannot write {what} {path}: it is a directory; give a file name")
        if not stat.S_ISREG(st.st_mode):
            raise StorageError(f"cannot write {what} {path}: it exists and is not a regular file")
    for source in inputs:
        if _same_path(source, path):
            raise StorageError(f"cannot write {what} {path}: it is also an input or output of this run")
    parent = path.parent
    if not parent.is_dir():
        raise StorageError(f"cannot write {what} {path}: directory {parent} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=_temp_prefix(path.name), suffix=TEMP_SUFFIX, dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise storage_error(exc, f"write {what}", path) from None
    return path


def _same_path(a: str | os.PathLike, b: Path) -> bool:
    """Whether two paths name the same file (existing: same inode; else the same absolute path)."""
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return Path(os.path.abspath(a)) == Path(os.path.abspath(b))


def not_regular_kind(mode: int) -> str | None:
    """What a file that is not a regular file or directory is, in words ("a pipe"), else None."""
    for test, kind in (
        (stat.S_ISFIFO, "a pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return kind
    return None


def read_text_file(path: str | os.PathLike, what: str, error: type[EmbedkitError] = EmbedkitError) -> str:
    """The whole text of a small UTF-8 input file (a dataset, a stopword list, WEAT sets, a config).

    A leading UTF-8 byte-order mark is dropped.

    Parameters
    ----------
    path : str or PathLike
    what : str
        How messages name the file ("dataset", "stopword list").
    error : type
        The :class:`EmbedkitError` subclass raised.

    Raises
    ------
    EmbedkitError
        (of type ``error``) if the file is missing, unreadable, a directory, not a regular file
        (a pipe, a device), binary (NUL bytes) or not UTF-8; the last two with the line number.
    """
    path = Path(path)
    try:
        kind = "a directory" if path.is_dir() else not_regular_kind(path.stat().st_mode)
        if kind is not None:
            raise error(f"cannot read {what} {path}: it is {kind}, not a regular file")
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {describe_os_error(exc)}") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise error(f"{path}:{line}: the {what} looks like a binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{path}:{line}: the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x}); convert it to UTF-8"
        ) from None


def remove_file(path: str | os.PathLike, what: str) -> None:
    """Remove a file if it exists.

    Raises
    ------
    StorageError
        If it exists and cannot be removed.
    """
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise storage_error(exc, f"remove {what}", path) from None


def free_bytes(directory: str | os.PathLike) -> int:
    """Bytes available to this user on the file system holding ``directory``."""
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


def check_free_space(path: str | os.PathLike, needed: int, what: str = "output") -> None:
    """Refuse to start work whose output of about ``needed`` bytes cannot fit beside ``path``.

    Raises
    ------
    StorageError
        If the file system of ``path``'s directory has fewer than ``needed`` bytes free.
    """
    directory = Path(path).parent
    try:
        available = free_bytes(directory)
    except OSError:
        return  # unknown: the write itself will tell
    if available < needed:
        raise StorageError(
            f"cannot write {what} {path}: it needs about {human_size(needed)} and {directory} has "
            f"{human_size(available)} free; free some space or write elsewhere"
        )


def human_size(nbytes: int) -> str:
    """``nbytes`` as GiB, MiB or KiB with one decimal, or bytes."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} bytes"
