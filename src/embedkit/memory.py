"""Resident-memory measurement for stage reports and benchmarks."""

from __future__ import annotations

import resource


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
