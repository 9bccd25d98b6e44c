"""Memory: peak resident set size for reports and benchmarks, and checks of allocations against
the memory this machine has."""

from __future__ import annotations

import os
import resource

from .errors import ConfigError


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, MiB.

    Linux's VmHWM belongs to the process image, so unlike ``getrusage``'s ru_maxrss (kept across
    fork and exec) it does not inherit a forking parent's footprint; elsewhere ru_maxrss (kB).
    """
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _meminfo_bytes(field: str) -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def total_memory_bytes() -> int | None:
    """Physical memory of this machine in bytes (MemTotal, else sysconf), None if unknown."""
    total = _meminfo_bytes("MemTotal")
    if total is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return None
    return total


def available_memory_bytes() -> int | None:
    """Memory available for a new allocation without swapping, bytes (Linux MemAvailable), None if unknown."""
    return _meminfo_bytes("MemAvailable")


def check_allocation(nbytes: int, what: str, hint: str) -> None:
    """Refuse an allocation of ``nbytes`` that cannot fit in the memory available now.

    Parameters
    ----------
    nbytes : int
        Bytes about to be allocated.
    what : str
        What needs them ("the word2vec parameters (V x dim x 2 float32)").
    hint : str
        What the user can change ("lower --dim or the vocabulary (--min-count, --max-vocab)").

    Raises
    ------
    ConfigError
        If more than the machine's available memory is needed.
    """
    available = available_memory_bytes()
    if available is not None and nbytes > available:
        raise ConfigError(f"{what} need {gib(nbytes)}, more than the {gib(available)} of memory available; {hint}")


def gib(nbytes: float) -> str:
    """``nbytes`` as a short human-readable size ("1.50 GiB", "12.0 MiB")."""
    if nbytes >= 1 << 30:
        return f"{nbytes / (1 << 30):.2f} GiB"
    return f"{nbytes / (1 << 20):.1f} MiB"
