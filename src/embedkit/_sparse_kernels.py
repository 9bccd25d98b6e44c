"""Numba kernel of the truncated SVD: a CSR sparse matrix times a dense block, rows in parallel.

SciPy's sparse-dense product runs on one thread; this one gives each thread whole output rows,
so no two threads write the same memory and the result does not depend on the thread count.
"""

from __future__ import annotations

import numba as nb

from ._numba import FASTMATH, axpy


@nb.njit(parallel=True, cache=True, fastmath=FASTMATH)
def csr_times_dense(indptr, indices, data, dense, out):
    """``out = A @ dense`` for the CSR matrix ``A = (data, indices, indptr)``.

    Parameters
    ----------
    indptr : int32 or int64 (m + 1,)
    indices : int32 or int64 (nnz,)
    data : float32 (nnz,)
    dense : float32 (n, b), C-contiguous
    out : float32 (m, b), C-contiguous; overwritten
    """
    for i in nb.prange(out.shape[0]):
        row = out[i]
        row[:] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            axpy(data[p], dense[indices[p]], row)
