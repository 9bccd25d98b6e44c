"""The Word Embedding Association Test (Caliskan, Bryson & Narayanan 2017, Science 356:183).

For target word sets X, Y and attribute sets A, B, with cosine similarity ``cos``::

    s(w, A, B) = mean_{a in A} cos(w, a) - mean_{b in B} cos(w, b)
    S(X, Y, A, B) = sum_{x in X} s(x, A, B) - sum_{y in Y} s(y, A, B)
    d = (mean_{x in X} s(x) - mean_{y in Y} s(y)) / std_{w in X u Y} s(w)    (sample std, ddof 1)

The one-sided p-value is the share of equal-size re-partitions (X_i, Y_i) of X u Y with
``S(X_i, Y_i) > S(X, Y)``: all of them when there are at most ``permutations`` partitions, else
``permutations`` random ones (seeded). Words missing from the vectors are dropped and listed.
"""

from __future__ import annotations

import itertools
import math
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ConfigError, EmbedkitError
from .vectors import Embeddings

SET_KEYS = ("X", "Y", "A", "B")


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
        note = f"; {len(self.missing)} word(s) not in the vocabulary" if self.missing else ""
        p = f"p < {1 / self.partitions:.2g}" if self.p_value == 0 else f"p = {self.p_value:.4g}"
        how = "all" if self.exact else "sampled"
        return (f"{self.test.name}: {x} vs {y} with {a} vs {b}: effect size d = {self.effect_size:+.3f}, "
                f"{p} ({how} {self.partitions:,} partitions){note}")


def load_tests(path: str | os.PathLike | None = None) -> dict[str, WeatTest]:
    """Tests from a TOML file (one table per test with lists X, Y, A, B and optional ``names``);
    the shipped Caliskan et al. tests when ``path`` is None.

    Raises
    ------
    ConfigError
        If the file cannot be read or a table lacks one of X, Y, A, B.
    """
    source = Path(str(resources.files("embedkit.datasets") / "weat.toml")) if path is None else Path(path)
    try:
        tables = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read WEAT sets {source}: {exc}") from None
    tests = {}
    for name, table in tables.items():
        if not isinstance(table, dict) or any(not isinstance(table.get(k), list) for k in SET_KEYS):
            raise ConfigError(f"{source}: test [{name}] needs word lists X, Y, A and B")
        names = tuple(table.get("names", SET_KEYS))
        tests[name] = WeatTest(name, *(tuple(str(w) for w in table[k]) for k in SET_KEYS), names=names)
    return tests


def weat(embeddings: Embeddings, test: WeatTest, permutations: int = 10_000, seed: int = 1) -> WeatResult:
    """Run one WEAT on ``embeddings``.

    Parameters
    ----------
    permutations : int
        Upper bound on the partitions examined for the p-value (default 10,000).
    seed : int
        Seed of the sampled partitions.

    Raises
    ------
    EmbedkitError
        If a target set keeps fewer than 2 words or an attribute set none.
    """
    kept, missing = {}, []
    for key, words in zip(SET_KEYS, (test.X, test.Y, test.A, test.B)):
        kept[key] = [w for w in words if w in embeddings]
        missing += [w for w in words if w not in embeddings]
    if len(kept["X"]) < 2 or len(kept["Y"]) < 2 or not kept["A"] or not kept["B"]:
        raise EmbedkitError(f"WEAT {test.name}: too few of its words are in the vocabulary "
                            f"(kept X {len(kept['X'])}, Y {len(kept['Y'])}, A {len(kept['A'])}, B {len(kept['B'])})")
    unit = embeddings.unit
    targets = unit[[embeddings.row(w) for w in kept["X"] + kept["Y"]]]
    association = (targets @ unit[[embeddings.row(w) for w in kept["A"]]].T).mean(axis=1) - \
        (targets @ unit[[embeddings.row(w) for w in kept["B"]]].T).mean(axis=1)
    association = association.astype(np.float64)
    n_x = len(kept["X"])
    s_x, s_y = association[:n_x], association[n_x:]
    effect = (s_x.mean() - s_y.mean()) / association.std(ddof=1)
    observed = s_x.sum() - s_y.sum()
    total = association.sum()
    n = len(association)
    # S(X_i, Y_i) = 2 * sum(X_i) - total, so comparing the sums of X_i is enough.
    if math.comb(n, n_x) <= permutations:
        sums = np.array([association[list(idx)].sum() for idx in itertools.combinations(range(n), n_x)])
        exact = True
    else:
        rng = np.random.default_rng(seed)
        sums = np.array([association[rng.permutation(n)[:n_x]].sum() for _ in range(permutations)])
        exact = False
    p_value = float(np.mean(2 * sums - total > observed + 1e-12))
    return WeatResult(test, float(effect), p_value, float(observed), exact, len(sums), missing)
