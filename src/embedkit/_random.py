"""Jitted random-number helpers shared by the training kernels.

The kernels carry their random state as a plain ``uint64`` (xorshift64*, Vigna 2016), one
stream per chunk of the corpus, seeded by :func:`stream_seed` from the user's seed, the epoch
and the chunk index. Results therefore depend on the seed only, not on thread scheduling
(Hogwild updates from several threads still make multi-threaded runs non-reproducible).

Noise words are drawn with Walker's alias method (Vose's construction): two length-V arrays,
one draw per sample, exact probabilities — in place of word2vec.c's 10^8-entry unigram table
(400 MB), whose probabilities are rounded to multiples of 1e-8.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_U64 = np.uint64
_MUL = _U64(0x2545F4914F6CDD1D)
_LOW32 = _U64(0xFFFFFFFF)
_TWO32 = float(2**32)


@nb.njit(inline="always")
def next_state(state):
    """Advance a xorshift64 state (13, 7, 17); ``state`` must be a nonzero uint64."""
    state ^= state << _U64(13)
    state ^= state >> _U64(7)
    state ^= state << _U64(17)
    return state


@nb.njit(inline="always")
def output(state):
    """The 64-bit xorshift64* output of ``state`` (better low bits than the raw state)."""
    return state * _MUL


@nb.njit(inline="always")
def below(r, n):
    """Map a 64-bit random ``r`` to ``0 <= k < n`` (n < 2**32) by its high 32 bits (Lemire)."""
    return np.int64(((r >> _U64(32)) * _U64(n)) >> _U64(32))


@nb.njit(inline="always")
def accept(r, threshold):
    """True with probability ``threshold / 2**32``, using the low 32 bits of ``r``."""
    return (r & _LOW32) < threshold


@nb.njit(cache=True)
def splitmix64(x):
    """SplitMix64 finaliser: a well-mixed uint64 from any uint64 (for seeding streams)."""
    x = x + _U64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


@nb.njit(cache=True)
def stream_seed(seed, epoch, chunk):
    """Nonzero uint64 state for the random stream of ``chunk`` in ``epoch`` under ``seed``."""
    x = splitmix64(_U64(seed) ^ splitmix64(_U64(epoch) * _U64(0x100000001B3) + _U64(chunk)))
    return x if x != _U64(0) else _U64(0x853C49E6748FEA9B)


@nb.njit(inline="always")
def draw_alias(r, threshold, alias):
    """One draw from an alias table with a 64-bit random ``r``.

    The high 32 bits pick a column uniformly, the low 32 bits decide between the column
    and its alias (``threshold`` holds acceptance probabilities scaled to 2**32).
    """
    k = below(r, threshold.shape[0])
    return k if accept(r, threshold[k]) else alias[k]


def probability_thresholds(p: np.ndarray) -> np.ndarray:
    """Probabilities in [0, 1] as uint64 thresholds for :func:`accept` (1 -> 2**32, always)."""
    return np.round(np.clip(p, 0.0, 1.0) * _TWO32).astype(np.uint64)


def alias_table(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Build Walker/Vose alias arrays for a discrete distribution.

    Parameters
    ----------
    probabilities : ndarray, shape (V,), float64
        Non-negative, summing to 1 (normalised here).

    Returns
    -------
    threshold : ndarray, shape (V,), uint64
        Acceptance probability of each column, scaled to 2**32.
    alias : ndarray, shape (V,), int32
        The word drawn when column ``k`` is not accepted.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    scaled = p * (len(p) / p.sum())
    accept_p, alias = _vose(scaled)
    return probability_thresholds(accept_p), alias


@nb.njit(cache=True)
def _vose(scaled):
    n = scaled.shape[0]
    accept_p = np.ones(n, dtype=np.float64)
    alias = np.arange(n).astype(np.int32)
    work = scaled.copy()
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = 0
    nl = 0
    for i in range(n):
        if work[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        accept_p[s] = work[s]
        alias[s] = g
        work[g] = (work[g] + work[s]) - 1.0
        if work[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    return accept_p, alias


@nb.njit(cache=True)
def sample_alias(threshold, alias, n, seed):
    """Draw ``n`` samples from an alias table (int32 array of shape (n,)); for tests and tools."""
    out = np.empty(n, dtype=np.int32)
    state = stream_seed(seed, 0, 0)
    for i in range(n):
        state = next_state(state)
        out[i] = draw_alias(output(state), threshold, alias)
    return out
