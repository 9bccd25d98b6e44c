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
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

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


@intrinsic
def prefetch_row(typingctx, matrix, row):
    """Hint the CPU to fetch every cache line of ``matrix[row]`` (a C-contiguous 2-d array)
    into all cache levels, for a read or write soon (LLVM's ``llvm.prefetch``; no effect on
    results). Issued for the rows of a step before its first dot product, so that their cache
    misses overlap instead of following one another."""

    def codegen(context, builder, signature, args):
        array_type, row_type = signature.args
        array = context.make_array(array_type)(context, builder, args[0])
        shape = cgutils.unpack_tuple(builder, array.shape)
        strides = cgutils.unpack_tuple(builder, array.strides)
        row_index = context.cast(builder, args[1], row_type, types.intp)
        zero = ir.Constant(ir.IntType(64), 0)
        start = cgutils.get_item_pointer2(
            context, builder, array.data, shape, strides, array_type.layout, [row_index, zero]
        )
        byte_pointer = ir.IntType(8).as_pointer()
        hint_type = ir.FunctionType(ir.VoidType(), [byte_pointer, *[ir.IntType(32)] * 3])
        hint = builder.module.declare_intrinsic("llvm.prefetch", [byte_pointer], hint_type)  # .p0 or .p0i8
        base = builder.bitcast(start, byte_pointer)
        row_bytes = builder.mul(shape[1], ir.Constant(ir.IntType(64), array_type.dtype.bitwidth // 8))
        write, locality, data_cache = (ir.Constant(ir.IntType(32), v) for v in (1, 3, 1))
        with cgutils.for_range_slice(builder, zero, row_bytes, ir.Constant(ir.IntType(64), 64)) as (offset, _):
            builder.call(hint, [builder.gep(base, [offset]), write, locality, data_cache])
        return context.get_dummy_value()

    return types.void(matrix, row), codegen


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
