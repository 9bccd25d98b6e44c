"""Checks of a kernel's inputs, made by the drivers before each jitted call.

Numba compiles a kernel for the types it is first called with: a float64 array where float32 is
meant either fails deep inside type inference (a ``TypingError`` naming numba internals) or,
worse, compiles a second specialisation that computes in another precision. The drivers state
what each named tuple of a kernel holds (a *spec*) and :func:`check_inputs` refuses anything
else with one clear message. These are programming errors, not user errors: they raise
:class:`KernelInputError` (a ``TypeError``), never an :class:`embedkit.errors.EmbedkitError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

#: A spec entry: ``(dtype, ndim)`` for a C-contiguous array, or a type for a scalar.
Expected = tuple[type, int] | type


class KernelInputError(TypeError):
    """A kernel input of the wrong type, dtype, dimension or memory layout (a bug in embedkit)."""


def check_inputs(kernel: str, inputs: NamedTuple, spec: Mapping[str, Expected]) -> None:
    """Check the fields of ``inputs`` named in ``spec``.

    Parameters
    ----------
    kernel : str
        The kernel's name, for the message.
    inputs : NamedTuple
        One of the kernel's argument tuples.
    spec : mapping
        Field name -> ``(dtype, ndim)`` (a C-contiguous ndarray of that dtype and dimension) or a
        scalar type (``int``, ``bool``, ``np.float32``; ``bool`` is not accepted for ``int``).

    Raises
    ------
    KernelInputError
        Naming the kernel, the field, what was expected and what was given.
    """
    for name, expected in spec.items():
        value = getattr(inputs, name)
        problem = _problem(value, expected)
        if problem:
            raise KernelInputError(
                f"internal error: {kernel}() input {type(inputs).__name__}.{name} must be {_describe(expected)}, "
                f"got {problem}; please report this"
            )


def _problem(value, expected: Expected) -> str | None:
    """What is wrong with ``value`` (a description of it), or None."""
    if isinstance(expected, tuple):
        dtype, ndim = expected
        if not isinstance(value, np.ndarray):
            return type(value).__name__
        if value.dtype != dtype or value.ndim != ndim or not value.flags.c_contiguous:
            layout = "C-contiguous" if value.flags.c_contiguous else "non-contiguous"
            return f"a {layout} {value.ndim}-d {value.dtype} array"
        return None
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    return None if ok else f"{type(value).__name__} {value!r}"


def _describe(expected: Expected) -> str:
    if isinstance(expected, tuple):
        dtype, ndim = expected
        return f"a C-contiguous {ndim}-d {np.dtype(dtype)} array"
    return f"a {expected.__name__}"
