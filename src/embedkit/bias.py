"""The Word Embedding Association Test (Caliskan, Bryson & Narayanan 2017, Science 356:183).

For target word sets X, Y and attribute sets A, B, with cosine similarity ``cos``::

    s(w, A, B) = mean_{a in A} cos(w, a) - mean_{b in B} cos(w, b)
    S(X, Y, A, B) = sum_{x in X} s(x, A, B) - sum_{y in Y} s(y, A, B)
    d = (mean_{x in X} s(x) - mean_{y in Y} s(y)) / std_{w in X u Y} s(w)    (sample std, ddof 1)

The one-sided p-value is the share of equal-size re-partitions (X_i, Y_i) of X u Y with
``S(X_i, Y_i) > S(X, Y)``: all of them when there are at most ``permutations`` partitions, else
``permutations`` random ones (seeded). Words missing from the vectors, or whose vector is zero
or not finite, are dropped and listed. A test whose effect size is undefined (all associations
equal) is an error, never ``d = nan``.
"""

from __future__ import annotations

import itertools
import math
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ConfigError, EmbedkitError
from .files import read_text_file
from .vectors import Embeddings

SET_KEYS = ("X", "Y", "A", "B")
#: Accepted ``--permutations``: partitions the permutation test may examine (a million take seconds).
PERMUTATIONS_RANGE = (100, 1_000_000)
#: Accepted seeds, of WEAT's sampled partitions and of t-SNE (NumPy needs >= 0, scikit-learn < 2**32).
SEED_RANGE = (0, 2**32 - 1)
#: Partitions scored per NumPy batch (bounds the memory: BATCH x |X u Y| indices).
BATCH = 16_384


@dataclass(frozen=True)
class WeatTest:
    """Targets ``X``, ``Y`` and attributes ``A``, ``B`` (word lists) with display ``names``."""

    name: str
    X: tuple[str, ...]
    Y: tuple[str, ...]
    A: tuple[str, ...]
    B: tuple[str, ...]
    names: tuple[str, str, str, str] = ("X", "Y", "A", "B")


@dataclass
class WeatResult:
    """Effect size ``d``, one-sided ``p_value``, the statistic ``S``, the number of
    ``partitions`` examined and whether that was all of them (``exact``), and the words dropped
    as out of vocabulary."""

    test: WeatTest
    effect_size: float
    p_value: float
    statistic: float
    exact: bool
    partitions: int
    missing: list[str] = field(default_factory=list)

    def summary(self) -> str:
        x, y, a, b = self.test.names
        note = f"; {len(self.missing)} word(s) not in the vocabulary or with a zero vector" if self.missing else ""
        p = f"p < {1 / self.partitions:.2g}" if self.p_value == 0 else f"p = {self.p_value:.4g}"
        how = "all" if self.exact else "sampled"
        return (
            f"{self.test.name}: {x} vs {y} with {a} vs {b}: effect size d = {self.effect_size:+.3f}, "
            f"{p} ({how} {self.partitions:,} partitions){note}"
        )


def load_tests(path: str | os.PathLike | None = None) -> dict[str, WeatTest]:
    """Tests from a TOML file (one table per test with lists X, Y, A, B and optional ``names``);
    the shipped Caliskan et al. tests when ``path`` is None.

    Raises
    ------
    ConfigError
        Naming the file (and the test) if the file cannot be read, is not UTF-8 TOML, defines
        no test, or a test is malformed: X, Y, A or B missing, empty or not a list of non-empty
        strings, a word listed twice in a set or in both X and Y (or both A and B), ``names``
        not a list of four strings, or an unknown key.
    """
    source = Path(str(resources.files("embedkit.datasets") / "weat.toml")) if path is None else Path(path)
    text = read_text_file(source, "WEAT sets file", ConfigError)
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read WEAT sets {source}: {exc}") from None
    if not tables:
        raise ConfigError(f"{source}: no WEAT test (one table per test, with lists X, Y, A and B)")
    return {name: _test_from_table(source, name, table) for name, table in tables.items()}


def _test_from_table(source: Path, name: str, table) -> WeatTest:
    where = f"{source}: test [{name}]"
    if not isinstance(table, dict) or any(not isinstance(table.get(k), list) for k in SET_KEYS):
        raise ConfigError(f"{where} needs word lists X, Y, A and B")
    unknown = sorted(set(table) - {*SET_KEYS, "names"})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (known: X, Y, A, B, names)")
    sets = {}
    for key in SET_KEYS:
        words = table[key]
        if not words:
            raise ConfigError(f"{where}: {key} is empty")
        bad = [w for w in words if not isinstance(w, str) or not w.strip()]
        if bad:
            raise ConfigError(f"{where}: {key} must list words (non-empty strings), found {bad[0]!r}")
        twice = sorted({w for w in words if words.count(w) > 1})
        if twice:
            raise ConfigError(f"{where}: {key} lists {', '.join(map(repr, twice))} more than once")
        sets[key] = tuple(words)
    for first, second in (("X", "Y"), ("A", "B")):
        shared = sorted(set(sets[first]) & set(sets[second]))
        if shared:
            raise ConfigError(f"{where}: {', '.join(map(repr, shared))} in both {first} and {second}")
    names = table.get("names", list(SET_KEYS))
    if not isinstance(names, list) or len(names) != 4 or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{where}: names must be a list of four strings (for X, Y, A and B), got {names!r}")
    return WeatTest(name, *(sets[k] for k in SET_KEYS), names=tuple(names))


def weat(embeddings: Embeddings, test: WeatTest, permutations: int = 10_000, seed: int = 1) -> WeatResult:
    """Run one WEAT on ``embeddings``.

    Words missing from the vectors, or whose vector is zero or not finite (no direction, so no
    cosine), are dropped and listed in :attr:`WeatResult.missing`.

    Parameters
    ----------
    permutations : int
        Upper bound on the partitions examined for the p-value (default 10,000), at most
        ``PERMUTATIONS_RANGE[1]``; scored in NumPy batches of :data:`BATCH`.
    seed : int
        Seed of the sampled partitions, within :data:`SEED_RANGE`.

    Raises
    ------
    ConfigError
        If ``permutations`` is below 1 or above ``PERMUTATIONS_RANGE[1]``, or ``seed`` is out of
        :data:`SEED_RANGE`.
    EmbedkitError
        If a target set keeps fewer than 2 words or an attribute set none, or the effect size
        is undefined: every target word has the same association (standard deviation 0, e.g.
        identical or all-equal vectors).
    """
    if not 1 <= permutations <= PERMUTATIONS_RANGE[1]:
        raise ConfigError(f"permutations must be 1-{PERMUTATIONS_RANGE[1]:,}, got {permutations:,}")
    check_seed(seed)
    unit, missing = {}, []
    for key, words in zip(SET_KEYS, (test.X, test.Y, test.A, test.B)):
        present = [w for w in words if w in embeddings]
        rows = [embeddings.row(w) for w in present]
        usable = embeddings.usable[rows]
        unit[key] = embeddings.unit[rows][usable].astype(np.float64)
        missing += [w for w in words if w not in present] + [w for w, ok in zip(present, usable) if not ok]
    kept = {key: len(rows) for key, rows in unit.items()}
    if kept["X"] < 2 or kept["Y"] < 2 or not kept["A"] or not kept["B"]:
        raise EmbedkitError(
            f"{test.name}: too few of its words are in the vocabulary with a nonzero vector "
            f"(kept X {kept['X']}, Y {kept['Y']}, A {kept['A']}, B {kept['B']})"
        )
    targets = np.concatenate([unit["X"], unit["Y"]])
    association = (targets @ unit["A"].T).mean(axis=1) - (targets @ unit["B"].T).mean(axis=1)
    n_x = kept["X"]
    s_x, s_y = association[:n_x], association[n_x:]
    spread = association.std(ddof=1)
    if not spread > 0:
        x, y, a, b = test.names
        raise EmbedkitError(
            f"{test.name}: effect size undefined (every word of {x} and {y} is equally associated "
            f"with {a} vs {b}: standard deviation 0; are the vectors identical?)"
        )
    effect = (s_x.mean() - s_y.mean()) / spread
    observed = s_x.sum() - s_y.sum()
    total = association.sum()
    n = len(association)
    # S(X_i, Y_i) = 2 * sum(X_i) - total, so comparing the sums of X_i is enough.
    exact = math.comb(n, n_x) <= permutations
    batches = _all_subsets(n, n_x) if exact else _random_subsets(n, n_x, permutations, seed)
    beaten = examined = 0
    for subsets in batches:
        beaten += int(np.count_nonzero(2 * association[subsets].sum(axis=1) - total > observed + 1e-12))
        examined += len(subsets)
    return WeatResult(test, float(effect), beaten / examined, float(observed), exact, examined, missing)


def check_seed(seed: int) -> None:
    """Raise :class:`ConfigError` unless ``seed`` is an int within :data:`SEED_RANGE`."""
    low, high = SEED_RANGE
    if isinstance(seed, bool) or not isinstance(seed, int) or not low <= seed <= high:
        raise ConfigError(f"seed must be an integer {low}-{high}, got {seed!r}")


def _all_subsets(n: int, k: int) -> Iterator[np.ndarray]:
    """Every k-subset of ``range(n)``, as (batch, k) intp arrays of at most :data:`BATCH` rows."""
    combinations = itertools.combinations(range(n), k)
    while batch := list(itertools.islice(combinations, BATCH)):
        yield np.array(batch, dtype=np.intp)


def _random_subsets(n: int, k: int, count: int, seed: int) -> Iterator[np.ndarray]:
    """``count`` uniform random k-subsets of ``range(n)`` (seeded), as (batch, k) intp arrays: the
    k smallest of n uniform keys per row."""
    rng = np.random.default_rng(seed)
    for start in range(0, count, BATCH):
        keys = rng.random((min(BATCH, count - start), n))
        yield np.argpartition(keys, k - 1, axis=1)[:, :k]
