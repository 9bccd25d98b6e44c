"""Hard debiasing (Bolukbasi, Chang, Zou, Saligrama & Kalai 2016, "Man is to Computer
Programmer as Woman is to Homemaker? Debiasing Word Embeddings", NeurIPS).

All three steps work on unit vectors, as the paper does:

* **direction**: for each definitional pair ``(a, b)`` (``she``/``he``, ...) with centre
  ``c = (a + b) / 2``, the rows ``a - c`` and ``b - c``; the bias direction ``g`` is their first
  principal component (SVD of the stacked rows, whose column means are zero by construction).
  The share of variance of each component is the paper's Figure 3; ``g`` is signed to point
  from the second word of the pairs towards the first (the shipped lists: male towards female).
* **neutralize**: every word that is not gender-specific (not in ``specific`` nor in a pair)
  loses its component along ``g`` and is renormalised: ``w <- (w - (w.g) g) / |...|``.
* **equalize**: each pair ``(a, b)`` (and its Title- and UPPER-case forms present) becomes
  ``nu + z g`` and ``nu - z g`` with ``nu = mu - (mu.g) g``, ``mu = (a + b) / 2`` and
  ``z = sign((a - b).g) sqrt(1 - |nu|^2)``: two unit vectors equally far from every neutral word.

Words are matched to the lists case-insensitively (lower-cased).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ConfigError, EmbedkitError
from .files import read_text_file
from .vectors import Embeddings

#: Principal components whose variance share is reported (the paper's Figure 3 shows 10).
REPORTED_COMPONENTS = 10


@dataclass(frozen=True)
class WordLists:
    """``definitional`` and ``equalize``: (first, second) pairs; ``specific``: gendered words
    kept as they are (lower case)."""

    definitional: tuple[tuple[str, str], ...]
    equalize: tuple[tuple[str, str], ...]
    specific: frozenset[str]

    @property
    def kept(self) -> frozenset[str]:
        """Lower-cased words not neutralized: ``specific`` and every word of a pair."""
        paired = {w.lower() for pair in (*self.definitional, *self.equalize) for w in pair}
        return self.specific | paired


def load_word_lists(path: str | os.PathLike | None = None) -> WordLists:
    """The lists of a TOML file with ``definitional`` and ``equalize`` (lists of two-word lists)
    and ``specific`` (a list of words) [the shipped ``datasets/debias.toml``].

    Raises
    ------
    ConfigError
        If the file cannot be read, is not TOML, or a list is missing or malformed.
    """
    source = Path(str(resources.files("embedkit.datasets") / "debias.toml")) if path is None else Path(path)
    try:
        data = tomllib.loads(read_text_file(source, "word lists", ConfigError))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    pairs = {}
    for key in ("definitional", "equalize"):
        value = data.get(key)
        if not isinstance(value, list) or not value or not all(_is_pair(p) for p in value):
            raise ConfigError(f"{source}: '{key}' must be a non-empty list of two-word lists")
        pairs[key] = tuple((a, b) for a, b in value)
    specific = data.get("specific", [])
    if not isinstance(specific, list) or not all(isinstance(w, str) and w for w in specific):
        raise ConfigError(f"{source}: 'specific' must be a list of words")
    return WordLists(pairs["definitional"], pairs["equalize"], frozenset(w.lower() for w in specific))


def _is_pair(value) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(w, str) and w for w in value)


@dataclass
class BiasDirection:
    """``direction`` (D,) float64 unit vector; ``explained`` the variance share of the first
    principal components, largest first, summing to at most 1; ``pairs`` used and ``missing``
    (pairs with a word absent or without a usable vector)."""

    direction: np.ndarray
    explained: np.ndarray
    pairs: list[tuple[str, str]]
    missing: list[tuple[str, str]]


def _usable_row(embeddings: Embeddings, word: str) -> int | None:
    row = embeddings.index.get(word)
    return row if row is not None and embeddings.usable[row] else None


def _folded_row(embeddings: Embeddings, word: str) -> int | None:
    """The usable row of ``word`` as given, else of its lower, Title or UPPER form."""
    for form in (word, word.lower(), word.title(), word.upper()):
        row = _usable_row(embeddings, form)
        if row is not None:
            return row
    return None


def bias_direction(embeddings: Embeddings, pairs) -> BiasDirection:
    """The first principal component of the centred definitional pairs (see the module).

    Parameters
    ----------
    embeddings : Embeddings
    pairs : iterable of (str, str)
        Looked up as given, then lower-, Title- and UPPER-cased.

    Raises
    ------
    EmbedkitError
        If fewer than two pairs have both words with a usable vector, or the pairs' vectors
        are identical (no direction).
    """
    used, missing, rows = [], [], []
    for a, b in pairs:
        ra, rb = _folded_row(embeddings, a), _folded_row(embeddings, b)
        if ra is None or rb is None:
            missing.append((a, b))
            continue
        used.append((a, b))
        rows.append((ra, rb))
    if len(used) < 2:
        raise EmbedkitError(f"only {len(used)} definitional pair(s) are in the vocabulary; at least 2 are needed")
    first = embeddings.unit[[r for r, _ in rows]].astype(np.float64)
    second = embeddings.unit[[r for _, r in rows]].astype(np.float64)
    half = (first - second) / 2.0
    _, singular, components = np.linalg.svd(np.concatenate([half, -half]), full_matrices=False)
    total = float(np.square(singular).sum())
    if not total > 0:
        raise EmbedkitError("the definitional pairs' words have identical vectors: there is no direction")
    direction = components[0]
    if (half @ direction).sum() < 0:
        direction = -direction
    explained = np.square(singular[:REPORTED_COMPONENTS]) / total
    return BiasDirection(direction, explained, used, missing)


def project(
    embeddings: Embeddings, direction: np.ndarray, topn: int = 20, restrict_vocab: int | None = None
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Words whose unit vectors project farthest on ``direction`` (D,): the ``topn`` of largest
    projection (the positive end) and of smallest (the negative end), most extreme first, among
    the first ``restrict_vocab`` words [all]."""
    scores = embeddings.unit[:restrict_vocab].astype(np.float64) @ direction
    usable = np.flatnonzero(embeddings.usable[: len(scores)])
    order = usable[np.argsort(-scores[usable], kind="stable")]
    ends = order[:topn], order[::-1][:topn]
    return tuple([(embeddings.words[i], float(scores[i])) for i in end] for end in ends)


def hard_debias(embeddings: Embeddings, lists: WordLists, direction: np.ndarray) -> tuple[Embeddings, int, int]:
    """Neutralize and equalize (see the module) along the unit ``direction`` (D,).

    Returns
    -------
    debiased : Embeddings
        Same words; every usable row unit length (float32); zero and non-finite rows unchanged.
    neutralized : int
        Rows that lost their component along ``direction``.
    equalized : int
        Pairs (with case variants) equalized.
    """
    g = np.asarray(direction, dtype=np.float64)
    vectors = embeddings.unit.astype(np.float64)
    kept = lists.kept
    neutral = np.array(
        [usable and word.lower() not in kept for word, usable in zip(embeddings.words, embeddings.usable)], dtype=bool
    )
    vectors[neutral] -= np.outer(vectors[neutral] @ g, g)
    norms = np.linalg.norm(vectors[neutral], axis=1, keepdims=True)
    vectors[neutral] /= np.where(norms > 0, norms, 1.0)
    equalized = 0
    for a, b in _case_variants(lists.equalize):
        ra, rb = _usable_row(embeddings, a), _usable_row(embeddings, b)
        if ra is None or rb is None:
            continue
        mean = (vectors[ra] + vectors[rb]) / 2.0
        nu = mean - (mean @ g) * g
        z = np.sqrt(max(0.0, 1.0 - float(nu @ nu)))
        if (vectors[ra] - vectors[rb]) @ g < 0:
            z = -z
        vectors[ra], vectors[rb] = nu + z * g, nu - z * g
        equalized += 1
    out = np.where(embeddings.usable[:, None], vectors.astype(np.float32), embeddings.vectors)
    return Embeddings(embeddings.words, out), int(neutral.sum()), equalized


def _case_variants(pairs) -> list[tuple[str, str]]:
    """Each pair lower-cased, Title-cased and UPPER-cased, without repeats."""
    variants = (str.lower, str.title, str.upper)
    return list(dict.fromkeys((f(a), f(b)) for a, b in pairs for f in variants))
