"""Numba helpers shared by every kernel module: fast-math flags, small vector loops, and the
thread count of parallel kernels.

Kernels import from here; drivers use :func:`numba_threads` around kernel calls so that the
process-wide thread count is restored afterwards (a library call must not change its caller's
numba settings).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba as nb
import numpy as np

#: LLVM fast-math flags of the kernels. Without "nnan"/"ninf", so NaN/Inf propagate and are
#: caught by the drivers (umap's lesson); "reassoc" lets reductions vectorise.
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@nb.njit(inline="always", fastmath=FASTMATH)
def dot(a, b):
    """``a . b`` of two float32 (D,) vectors, accumulated in float32."""
    s = np.float32(0.0)
    for k in range(a.shape[0]):
        s += a[k] * b[k]
    return s


@nb.njit(inline="always", fastmath=FASTMATH)
def axpy(alpha, x, y):
    """``y += alpha * x`` in place for float32 (D,) vectors (BLAS saxpy)."""
    for k in range(x.shape[0]):
        y[k] += alpha * x[k]


@contextlib.contextmanager
def numba_threads(threads: int) -> Iterator[int]:
    """Run the block with numba's thread count set to ``threads`` (capped at
    ``NUMBA_NUM_THREADS``), then restore the previous count.

    Yields the count in effect. ``threads`` must be >= 1.
    """
    previous = nb.get_num_threads()
    count = max(1, min(int(threads), nb.config.NUMBA_NUM_THREADS))
    nb.set_num_threads(count)
    try:
        yield count
    finally:
        nb.set_num_threads(previous)
