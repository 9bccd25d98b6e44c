"""Truncated SVD of sparse matrices and the eigenvalue-weighted vectors of count models.

The decomposition is the randomized subspace iteration of Halko, Martinsson & Tropp (2011,
"Finding structure with randomness", Algorithm 4.4, as in scikit-learn's ``randomized_svd``):
a Gaussian block of ``k + oversample`` columns is multiplied by ``A`` and ``Aᵀ`` alternately
``power_iterations`` times, renormalised after each product by the L factor of a pivoted LU
(scikit-learn's ``power_iteration_normalizer="LU"``: it keeps the columns apart as QR does, at
40% of QR's time on the 70k x 140 blocks of the shared corpus), the last block orthonormalised by
QR, and the SVD of the small projected matrix gives the top ``k`` triplets. Every product is a
sparse matrix times a dense block — one pass over the matrix for all columns at once, on every core
(:func:`embedkit._sparse_kernels.csr_times_dense`) — where a Lanczos solver (SciPy ``svds``)
streams the matrix once per vector: on the 70k x 70k PPMI matrix of the shared corpus (23M
nonzeros) PROPACK made 653 single-vector passes. Memory: the float32 matrix and its transpose,
plus a few dense (rows + columns) x (k + oversample) float32 blocks. The result is
approximate; with the defaults the vectors score as PROPACK's within the evaluation noise
(``bench/count-*``).

Vectors follow Levy, Goldberg & Dagan (2015): ``U Σ^p``, with ``p = 1`` the classic LSA
embedding and ``p = 0.5`` or 0 often better for word similarity.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.linalg
from scipy import sparse

from .errors import ConfigError

#: Products with A and Aᵀ after the first one (Halko et al.'s q).
POWER_ITERATIONS = 4
#: Columns beyond k in the random block (Halko et al.'s p).
OVERSAMPLE = 40
#: Bytes per (row + column) per column of the random block held at once: the two float32 blocks
#: of the current product, the QR's copy and the result.
BYTES_PER_ENTRY = 16


def _multiplier(matrix) -> Callable[[np.ndarray], np.ndarray]:
    """``block -> matrix @ block`` as float32 (C-contiguous): the numba kernel over balanced row
    blocks for CSR, NumPy for dense."""
    if not sparse.issparse(matrix):
        return lambda block: np.ascontiguousarray(matrix @ block, dtype=np.float32)
    from ._sparse_kernels import csr_times_dense, row_blocks

    blocks = row_blocks(matrix.indptr)

    def product(block: np.ndarray) -> np.ndarray:
        out = np.empty((matrix.shape[0], block.shape[1]), dtype=np.float32)
        dense = np.ascontiguousarray(block, np.float32)
        csr_times_dense(matrix.indptr, matrix.indices, matrix.data, dense, out, blocks)
        return out

    return product


def _renormalised(block: np.ndarray) -> np.ndarray:
    """The permuted L factor (float32, same shape) of the LU decomposition of ``block``: the
    same column space with well-separated columns (power-iteration normaliser)."""
    lower, _ = scipy.linalg.lu(block, permute_l=True, overwrite_a=True, check_finite=False)
    return np.ascontiguousarray(lower, dtype=np.float32)


def _orthonormal(block: np.ndarray) -> np.ndarray:
    """An orthonormal basis (float32, same shape) of the columns of ``block`` (thin Householder QR)."""
    q, _ = scipy.linalg.qr(block, mode="economic", overwrite_a=True, check_finite=False)
    return np.ascontiguousarray(q, dtype=np.float32)


def truncated_svd(
    matrix,
    k: int,
    seed: int = 1,
    power_iterations: int = POWER_ITERATIONS,
    oversample: int = OVERSAMPLE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` largest singular triplets of a sparse (or dense) matrix, by randomized subspace
    iteration (Halko, Martinsson & Tropp 2011, Algorithm 4.4).

    Parameters
    ----------
    matrix : scipy.sparse matrix or ndarray, shape (m, n)
        Computed in float32.
    k : int
        Number of components, ``1 <= k < min(m, n)``.
    seed : int
        Seeds the random block, so results are reproducible (for any thread count).
    power_iterations : int
        Round trips through ``Aᵀ`` and ``A`` after the first product (default 4). More give
        singular vectors closer to the exact ones where the spectrum decays slowly (PPMI's does).
    oversample : int
        Columns of the random block beyond ``k`` (default 40); capped at ``min(m, n)``.

    Returns
    -------
    U : float32 (m, k)
    S : float64 (k,), descending
    Vt : float32 (k, n)
        Signs are fixed so that the largest-magnitude entry of each column of U is positive.

    Raises
    ------
    ConfigError
        If ``k`` is not below the smaller dimension.
    """
    m, n = matrix.shape
    if min(m, n) < 2:
        raise ConfigError(f"the matrix is only {m} x {n}: too few words or contexts for an SVD; use a larger corpus")
    if not 1 <= k < min(m, n):
        raise ConfigError(f"dim must be at most {min(m, n) - 1} for a {m} x {n} matrix, got {k}; lower --dim")
    if sparse.issparse(matrix):
        A = matrix.tocsr().astype(np.float32, copy=False)  # PPMI and TF-IDF are float32 CSR already: no copy
        At = A.T.tocsr()
    else:
        A = np.asarray(matrix, dtype=np.float32)
        At = A.T
    times_a, times_at = _multiplier(A), _multiplier(At)
    width = min(k + oversample, min(m, n))
    rng = np.random.default_rng(seed)
    Y = times_a(rng.standard_normal((n, width), dtype=np.float32))
    for _ in range(power_iterations):
        Y = times_a(_renormalised(times_at(_renormalised(Y))))
    Q = _orthonormal(Y)
    projected_t = times_at(Q)  # (n, width) = (Qᵀ A)ᵀ
    V, S, Wt = scipy.linalg.svd(projected_t.astype(np.float64), full_matrices=False, check_finite=False)
    # Aᵀ Q = V S Wᵀ, so A ≈ Q Qᵀ A = (Q W) S Vᵀ
    U = Q @ Wt[:k].T.astype(np.float32)
    Vt = V[:, :k].T.astype(np.float32)
    S = S[:k]
    signs = np.sign(U[np.abs(U).argmax(axis=0), np.arange(k)])
    signs[signs == 0] = 1.0
    return (U * signs).astype(np.float32), S, (Vt * signs[:, None]).astype(np.float32)


def svd_memory_bytes(n_rows: int, n_cols: int, nnz: int, dim: int) -> int:
    """Bytes :func:`truncated_svd` holds beyond its input (an upper bound): the float32 transpose
    and, for input of another type or format, a float32 CSR copy (8 bytes per nonzero each, plus
    row pointers) and the dense blocks of ``dim + OVERSAMPLE``
    columns."""
    return 16 * nnz + 8 * (n_rows + n_cols) + BYTES_PER_ENTRY * (n_rows + n_cols) * (dim + OVERSAMPLE)


def weighted(factor: np.ndarray, singular_values: np.ndarray, power: float) -> np.ndarray:
    """``factor * S**power`` column-wise, float32 (rows, k): eigenvalue weighting with exponent ``power``."""
    return (factor * (singular_values**power).astype(np.float32)).astype(np.float32)
