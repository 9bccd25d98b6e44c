"""Numba kernel of phrase joining (the only per-token loop of :mod:`embedkit.phrases`)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def greedy_spans(pair_hit: np.ndarray, triple_hit: np.ndarray, starts: np.ndarray, span: np.ndarray) -> None:
    """Fill ``span`` (N,) int8 left to right in each line ``starts[s]:starts[s + 1]``: 3 where a
    three-word phrase starts (``triple_hit``, inside the line), else 2 where a pair does
    (``pair_hit``), else 1; the tokens a phrase covers get 0 and the scan resumes after it."""
    for s in range(len(starts) - 1):
        i, stop = starts[s], starts[s + 1]
        while i < stop:
            if i + 2 < stop and triple_hit[i]:
                span[i], span[i + 1], span[i + 2] = 3, 0, 0
                i += 3
            elif i + 1 < stop and pair_hit[i]:
                span[i], span[i + 1] = 2, 0
                i += 2
            else:
                span[i] = 1
                i += 1
