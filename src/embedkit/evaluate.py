"""Intrinsic evaluation: word-similarity correlation and analogy accuracy.

Both follow gensim's ``KeyedVectors.evaluate_word_pairs`` / ``evaluate_word_analogies`` so that
the numbers agree on the same vectors file:

* similarity: Spearman's rho (and Pearson's r) between human scores and cosine similarities,
  over the pairs whose words are both among the ``restrict_vocab`` (300,000) most frequent;
  other pairs are counted as OOV and skipped. Lines starting with ``#`` are comments.
* analogy: ``a b c d`` asks for ``d = b - a + c``; a question counts only if all four words are
  among the ``restrict_vocab`` (30,000, as word2vec.c's compute-accuracy) most frequent words;
  the answer is the best candidate in that range other than ``a``, ``b``, ``c``. Sections are
  headed ``: name``; those starting with ``gram`` are syntactic, the rest semantic.

Matching is case-insensitive by default: words are upper-cased and, where several vocabulary
words fold to the same key, the most frequent one is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from .datasets import DATASETS, locate
from .errors import EmbedkitError
from .vectors import ANALOGY_METHODS, COSMUL_EPSILON, Embeddings

SIMILARITY_RESTRICT = 300_000
ANALOGY_RESTRICT = 30_000


@dataclass
class SimilarityResult:
    """Spearman rho and Pearson r over the pairs used; OOV pairs skipped."""

    dataset: str
    spearman: float
    pearson: float
    pairs: int
    oov_pairs: int

    def row(self) -> dict:
        """One line of the ``evaluate all`` table."""
        return {"dataset": self.dataset, "metric": "spearman", "score": self.spearman, "used": self.pairs,
                "total": self.pairs + self.oov_pairs, "oov": self.oov_pairs}

    def summary(self) -> str:
        total = self.pairs + self.oov_pairs
        return (
            f"{self.dataset}: Spearman rho {self.spearman:.4f} (Pearson r {self.pearson:.4f}) "
            f"on {self.pairs}/{total} pairs, {self.oov_pairs} OOV"
        )


@dataclass
class AnalogyResult:
    """Accuracy over the questions whose four words are in the restricted vocabulary."""

    dataset: str
    method: str
    correct: int
    questions: int
    oov_questions: int
    sections: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.questions if self.questions else float("nan")

    def _part(self, syntactic: bool) -> float:
        picked = [(c, n) for name, c, n in self.sections if name.startswith("gram") == syntactic]
        total = sum(n for _, n in picked)
        return sum(c for c, _ in picked) / total if total else float("nan")

    @property
    def semantic_accuracy(self) -> float:
        return self._part(syntactic=False)

    @property
    def syntactic_accuracy(self) -> float:
        return self._part(syntactic=True)

    def row(self) -> dict:
        """One line of the ``evaluate all`` table (``oov``: questions skipped by the restriction)."""
        return {"dataset": self.dataset, "metric": f"accuracy {self.method}", "score": self.accuracy,
                "used": self.questions, "total": self.questions + self.oov_questions, "oov": self.oov_questions}

    def section_lines(self) -> list[str]:
        """Per-section accuracy lines."""
        return [f"  {name:<30} " + (f"{correct / total:.4f}" if total else "     -") + f" ({correct}/{total})"
                for name, correct, total in self.sections]

    def summary(self) -> str:
        return (
            f"{self.dataset} ({self.method}): accuracy {self.accuracy:.4f} "
            f"({self.correct}/{self.questions}; semantic {self.semantic_accuracy:.4f}, "
            f"syntactic {self.syntactic_accuracy:.4f}), {self.oov_questions} questions skipped (a word out of "
            "vocabulary or beyond --restrict-vocab)"
        )


def guess_kind(path: str | os.PathLike) -> str:
    """``analogy`` if the file has ``: section`` lines or four-word rows, else ``similarity``."""
    for line in _lines(path):
        if line.startswith(":") or len(line.split()) == 4:
            return "analogy"
        if not line.startswith("#"):
            return "similarity"
    raise EmbedkitError(f"dataset file is empty: {path}")


def _lines(path: str | os.PathLike) -> list[str]:
    try:
        return [line.rstrip("\n") for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise EmbedkitError(f"cannot read dataset {path}: {exc}") from None


def _lookup(embeddings: Embeddings, restrict_vocab: int, case_insensitive: bool) -> dict[str, int]:
    """Key -> row for the first ``restrict_vocab`` words; on case collisions the most frequent wins."""
    words = embeddings.words[:restrict_vocab]
    if not case_insensitive:
        return {w: i for i, w in enumerate(words)}
    table: dict[str, int] = {}
    for i, w in enumerate(words):
        table.setdefault(w.upper(), i)
    return table


def evaluate_similarity(
    embeddings: Embeddings,
    path: str | os.PathLike,
    name: str | None = None,
    restrict_vocab: int = SIMILARITY_RESTRICT,
    case_insensitive: bool = True,
) -> SimilarityResult:
    """Correlate cosine similarities with human scores (``word1 word2 score`` lines).

    Raises
    ------
    EmbedkitError
        If the file cannot be read or no pair is in the vocabulary.
    """
    table = _lookup(embeddings, restrict_vocab, case_insensitive)
    unit = embeddings.unit
    gold, model = [], []
    oov = 0
    for line in _lines(path):
        if line.startswith("#"):
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        try:
            a, b, score = (p.strip() for p in parts)
            score = float(score)
        except ValueError:
            continue
        if case_insensitive:
            a, b = a.upper(), b.upper()
        if a not in table or b not in table:
            oov += 1
            continue
        gold.append(score)
        model.append(float(unit[table[a]] @ unit[table[b]]))
    if len(gold) < 2:
        raise EmbedkitError(f"{path}: fewer than two pairs with both words in the vocabulary")
    return SimilarityResult(
        name or Path(path).stem,
        float(stats.spearmanr(gold, model).statistic),
        float(stats.pearsonr(gold, model).statistic),
        len(gold),
        oov,
    )


def evaluate_analogy(
    embeddings: Embeddings,
    path: str | os.PathLike,
    name: str | None = None,
    restrict_vocab: int = ANALOGY_RESTRICT,
    method: str = "3cosadd",
    case_insensitive: bool = True,
) -> AnalogyResult:
    """Accuracy on ``a b c d`` questions (``d = b - a + c``), by section.

    Questions are answered in batches with one matrix product each.

    Raises
    ------
    EmbedkitError
        If the file cannot be read, has a question before any ``: section`` line, or no
        question is in the vocabulary.
    """
    table = _lookup(embeddings, restrict_vocab, case_insensitive)
    sections: list[tuple[str, list[tuple[int, int, int, int]]]] = []
    oov = 0
    for line in _lines(path):
        if line.startswith(":"):
            sections.append((line.lstrip(": ").strip(), []))
            continue
        words = line.split()
        if len(words) != 4:
            continue
        if not sections:
            raise EmbedkitError(f"{path}: analogy question before the first ': section' line")
        if case_insensitive:
            words = [w.upper() for w in words]
        if any(w not in table for w in words):
            oov += 1
            continue
        sections[-1][1].append(tuple(table[w] for w in words))
    candidates = embeddings.unit[:restrict_vocab]
    fold = (lambda w: w.upper()) if case_insensitive else (lambda w: w)
    canonical = np.array([table[fold(w)] for w in embeddings.words[:restrict_vocab]], dtype=np.int64)
    result = AnalogyResult(name or Path(path).stem, method, 0, 0, oov)
    for section, questions in sections:
        asked = np.array(questions, dtype=np.int64).reshape(-1, 4)
        correct = int(_answers_correct(candidates, canonical, asked, method).sum())
        result.sections.append((section, correct, len(questions)))
        result.correct += correct
        result.questions += len(questions)
    if result.questions == 0:
        raise EmbedkitError(f"{path}: no analogy question has all its words in the vocabulary")
    return result


def _answers_correct(
    candidates: np.ndarray, canonical: np.ndarray, questions: np.ndarray, method: str, batch: int = 256
) -> np.ndarray:
    """Boolean (Q,) array: whether the best candidate equals d.

    ``canonical[r]`` is the row that candidate ``r``'s (case-folded) key maps to; candidates
    whose key is that of ``a``, ``b`` or ``c`` are excluded and the prediction is compared by
    key, as gensim does.
    """
    hits = np.zeros(len(questions), dtype=bool)
    for start in range(0, len(questions), batch):
        q = questions[start : start + batch]
        a, b, c = (candidates[q[:, k]] for k in range(3))
        if method == "3cosadd":
            query = (b + c - a) / np.float32(3.0)  # gensim's mean of [b, c, -a]
            query /= np.linalg.norm(query, axis=1, keepdims=True)
            scores = query @ candidates.T
        elif method == "3cosmul":
            shift = lambda x: (np.float32(1.0) + x @ candidates.T) / np.float32(2.0)  # noqa: E731
            scores = shift(b) * shift(c) / (shift(a) + np.float32(COSMUL_EPSILON))
        else:
            raise EmbedkitError(f"unknown analogy method {method!r}")
        for k in range(3):
            scores[canonical[None, :] == q[:, k : k + 1]] = -np.inf
        hits[start : start + len(q)] = canonical[scores.argmax(axis=1)] == q[:, 3]
    return hits


def evaluate_all(
    embeddings: Embeddings,
    data_dir: str | os.PathLike | None = None,
    methods: tuple[str, ...] = ANALOGY_METHODS,
    case_insensitive: bool = True,
) -> tuple[list[SimilarityResult | AnalogyResult], list[str]]:
    """Every known dataset that is shipped or found in ``data_dir`` / ``$EMBEDKIT_DATA``.

    Similarity sets use the 300,000 most frequent words, analogies the 30,000 most frequent and
    each of ``methods``.

    Returns
    -------
    results : list of SimilarityResult and AnalogyResult, in registry order
    skipped : list of str
        One note per set that was not found or could not be scored (too few words in the
        vocabulary).
    """
    results: list[SimilarityResult | AnalogyResult] = []
    skipped = []
    for name, dataset in DATASETS.items():
        path = locate(name, data_dir)
        if path is None:
            skipped.append(f"{name}: not found")
            continue
        try:
            if dataset.kind == "similarity":
                results.append(evaluate_similarity(embeddings, path, name, case_insensitive=case_insensitive))
            else:
                results += [evaluate_analogy(embeddings, path, name, method=m, case_insensitive=case_insensitive)
                            for m in methods]
        except EmbedkitError as exc:
            skipped.append(f"{name}: {exc}")
    return results, skipped
