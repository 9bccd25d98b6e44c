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

With subwords (vectors of a subword model or a fastText ``.bin``, unless loaded with ``--oov
skip``) a similarity pair's word outside the vocabulary takes its n-gram vector, as fastText's
``get_word_vector`` (the pair counts as used, and in the ``subword`` column); analogies stay
within the ``restrict_vocab`` most frequent words, as gensim and compute-accuracy (subwords
change no question there).

Matching is case-insensitive by default: words are upper-cased and, where several vocabulary
words fold to the same key, the most frequent one is used.

Where embedkit is stricter than gensim (which scores such input without a word):

* a word whose vector is zero or not finite has no direction, so it counts as out of
  vocabulary: a pair or question with such a word is skipped and counted with the OOV ones, and
  such a word is never an analogy answer;
* an analogy whose best score is tied with a wrong candidate's (e.g. every score zero) is
  answered wrong, never right by the order of the vocabulary;
* Spearman's rho is undefined when all similarities (or all human scores) are equal: that is
  an error saying so, never ``nan``;
* dataset files are parsed strictly: a line that is not ``word1 word2 score`` (similarity) or
  ``a b c d`` / ``: section`` (analogy), or a score that is not a finite number, is an error
  with its line number (gensim skips such lines).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from .datasets import DATASETS, locate
from .errors import DatasetError, EmbedkitError
from .files import read_text_file
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
    #: Pairs used with a word outside the vocabulary, given its subword vector (``--oov subwords``).
    subword_pairs: int = 0

    def row(self) -> dict:
        """One line of the ``evaluate all`` table."""
        return {
            "dataset": self.dataset,
            "metric": "spearman",
            "score": self.spearman,
            "used": self.pairs,
            "total": self.pairs + self.oov_pairs,
            "oov": self.oov_pairs,
            "subword": self.subword_pairs,
        }

    def summary(self) -> str:
        total = self.pairs + self.oov_pairs
        subwords = f", {self.subword_pairs} with subword vectors" if self.subword_pairs else ""
        return (
            f"{self.dataset}: Spearman rho {self.spearman:.4f} (Pearson r {self.pearson:.4f}) "
            f"on {self.pairs}/{total} pairs{subwords}, {self.oov_pairs} OOV"
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
    def accuracy(self) -> float | None:
        """Share of the questions answered right; None when no question was asked."""
        return self.correct / self.questions if self.questions else None

    def _part(self, syntactic: bool) -> float | None:
        picked = [(c, n) for name, c, n in self.sections if name.startswith("gram") == syntactic]
        total = sum(n for _, n in picked)
        return sum(c for c, _ in picked) / total if total else None

    @property
    def semantic_accuracy(self) -> float | None:
        """Accuracy over the sections not named ``gram*``; None when they asked nothing."""
        return self._part(syntactic=False)

    @property
    def syntactic_accuracy(self) -> float | None:
        """Accuracy over the ``gram*`` sections; None when they asked nothing."""
        return self._part(syntactic=True)

    def row(self) -> dict:
        """One line of the ``evaluate all`` table (``oov``: questions skipped by the restriction)."""
        return {
            "dataset": self.dataset,
            "metric": f"accuracy {self.method}",
            "score": self.accuracy,
            "used": self.questions,
            "total": self.questions + self.oov_questions,
            "oov": self.oov_questions,
        }

    def section_lines(self) -> list[str]:
        """Per-section accuracy lines."""
        return [
            f"  {name:<30} " + (f"{correct / total:.4f}" if total else "     -") + f" ({correct}/{total})"
            for name, correct, total in self.sections
        ]

    def summary(self) -> str:
        return (
            f"{self.dataset} ({self.method}): accuracy {_score(self.accuracy)} "
            f"({self.correct}/{self.questions}; semantic {_score(self.semantic_accuracy)}, "
            f"syntactic {_score(self.syntactic_accuracy)}), {self.oov_questions} questions skipped (a word out of "
            "vocabulary, beyond --restrict-vocab or with a zero vector)"
        )


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def guess_kind(path: str | os.PathLike) -> str:
    """The kind of a dataset file: ``synonym`` for a TOEFL ``.qst`` file, ``contextual`` for
    SCWS (rows of 8 or more tab-separated fields, an integer id first, a number eighth),
    ``analogy`` if it has ``: section`` lines or four-word rows, else ``similarity``.

    Raises
    ------
    DatasetError
        If the file cannot be read as UTF-8 text or holds nothing but comments.
    """
    if Path(path).suffix.lower() == ".qst":
        return "synonym"
    for _, line in dataset_lines(path):
        fields = line.split("\t")
        if len(fields) >= 8 and fields[0].strip().isdigit() and _is_float(fields[7]):
            return "contextual"
        if line.startswith(":") or len(line.split()) == 4:
            return "analogy"
        if not line.startswith("#"):
            return "similarity"
    raise DatasetError(f"dataset file is empty: {path}")


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def dataset_lines(path: str | os.PathLike) -> list[tuple[int, str]]:
    """(line number, line) of the non-blank lines of a dataset file."""
    return [
        (number, line)
        for number, line in enumerate(read_text_file(path, "dataset", DatasetError).splitlines(), start=1)
        if line.strip()
    ]


def word_table(embeddings: Embeddings, usable: np.ndarray, case_insensitive: bool) -> dict[str, int]:
    """Key -> row of the words with a direction among the first ``len(usable)``; on case
    collisions the most frequent such word wins."""
    table: dict[str, int] = {}
    for i, w in enumerate(embeddings.words[: len(usable)]):
        if usable[i]:
            table.setdefault(w.upper() if case_insensitive else w, i)
    return table


def _similarity_pair(path, number: int, line: str) -> tuple[str, str, float]:
    parts = [p.strip() for p in (line.split("\t") if "\t" in line else line.split())]
    if len(parts) != 3:
        raise DatasetError(
            f"{path}:{number}: expected 'word1 word2 score' (3 columns), got {len(parts)}: {line.strip()[:60]!r}"
        )
    try:
        score = float(parts[2])
    except ValueError:
        raise DatasetError(f"{path}:{number}: the score {parts[2][:30]!r} is not a number") from None
    if not np.isfinite(score):
        raise DatasetError(f"{path}:{number}: the score {parts[2]!r} is not a finite number")
    return parts[0], parts[1], score


def evaluate_similarity(
    embeddings: Embeddings,
    path: str | os.PathLike,
    name: str | None = None,
    restrict_vocab: int = SIMILARITY_RESTRICT,
    case_insensitive: bool = True,
) -> SimilarityResult:
    """Correlate cosine similarities with human scores (``word1 word2 score`` lines).

    Pairs with a word outside the ``restrict_vocab`` most frequent, or whose vector is zero or
    not finite, are skipped and counted as OOV.

    Raises
    ------
    DatasetError
        If the file cannot be read, a line is not ``word1 word2 score`` with a finite score,
        fewer than two pairs are in the vocabulary, or the similarities (or the human scores)
        are all equal, which leaves Spearman's rho undefined.
    """
    pairs = [_similarity_pair(path, number, line) for number, line in dataset_lines(path) if not line.startswith("#")]
    return _correlate(embeddings, pairs, path, name, restrict_vocab, case_insensitive)


def evaluate_scws(
    embeddings: Embeddings,
    path: str | os.PathLike,
    name: str | None = None,
    restrict_vocab: int = SIMILARITY_RESTRICT,
    case_insensitive: bool = True,
) -> SimilarityResult:
    """Stanford Contextual Word Similarities (Huang, Socher, Manning & Ng 2012, ACL), scored
    with AvgSim: for static vectors (one vector per word) the mean cosine over sense pairs is
    the cosine of the two words, correlated (Spearman) with the mean human rating.

    The published ``ratings.txt``: tab-separated ``id word1 POS1 word2 POS2 context1 context2
    mean r1 ... r10``; the contexts are not used. OOV pairs as :func:`evaluate_similarity`.

    Raises
    ------
    DatasetError
        If a line has fewer than 8 tab-separated fields or a non-finite mean rating, or as
        :func:`evaluate_similarity`.
    """
    pairs = []
    for number, line in dataset_lines(path):
        fields = line.split("\t")
        if len(fields) < 8:
            raise DatasetError(
                f"{path}:{number}: expected SCWS's 'id word1 POS1 word2 POS2 context1 context2 mean ...' "
                f"(tab separated), got {len(fields)} field(s)"
            )
        pairs.append(_similarity_pair(path, number, "\t".join((fields[1], fields[3], fields[7]))))
    return _correlate(embeddings, pairs, path, name, restrict_vocab, case_insensitive)


def _correlate(
    embeddings: Embeddings,
    pairs: list[tuple[str, str, float]],
    path: str | os.PathLike,
    name: str | None,
    restrict_vocab: int,
    case_insensitive: bool,
) -> SimilarityResult:
    """Spearman and Pearson correlation of the human scores of ``pairs`` with the cosines."""
    unit, usable = embeddings.unit[:restrict_vocab], embeddings.usable[:restrict_vocab]
    table = word_table(embeddings, usable, case_insensitive)
    fold = str.upper if case_insensitive else str
    outside = sorted({w for a, b, _ in pairs for w in (a, b) if fold(w) not in table and w not in embeddings.index})
    from_subwords = _subword_units(embeddings, outside)
    gold, model = [], []
    oov = subword_pairs = 0
    for a, b, score in pairs:
        vectors = [unit[table[fold(w)]] if fold(w) in table else from_subwords.get(w) for w in (a, b)]
        if vectors[0] is None or vectors[1] is None:
            oov += 1
            continue
        subword_pairs += a in from_subwords or b in from_subwords
        gold.append(score)
        model.append(float(vectors[0] @ vectors[1]))
    if len(gold) < 2:
        raise DatasetError(f"{path}: fewer than two pairs with both words in the vocabulary (with a nonzero vector)")
    for values, what in ((model, "cosine similarities"), (gold, "human scores")):
        if min(values) == max(values):
            raise DatasetError(f"{path}: all {len(values)} {what} are equal; Spearman's rho is undefined")
    return SimilarityResult(
        name or Path(path).stem,
        float(stats.spearmanr(gold, model).statistic),
        float(stats.pearsonr(gold, model).statistic),
        len(gold),
        oov,
        subword_pairs,
    )


def _subword_units(embeddings: Embeddings, words: list[str]) -> dict[str, np.ndarray]:
    """Unit subword vectors of ``words`` (outside the vocabulary), as fastText's
    ``get_word_vector`` gives them; empty without subwords. Words without an n-gram are left out."""
    if embeddings.subwords is None or not words:
        return {}
    vectors = embeddings.subwords.vectors(words)
    norms = np.linalg.norm(vectors, axis=1)
    return {w: v / np.float32(n) for w, v, n in zip(words, vectors, norms) if n > 0}


def evaluate_analogy(
    embeddings: Embeddings,
    path: str | os.PathLike,
    name: str | None = None,
    restrict_vocab: int = ANALOGY_RESTRICT,
    method: str = "3cosadd",
    case_insensitive: bool = True,
) -> AnalogyResult:
    """Accuracy on ``a b c d`` questions (``d = b - a + c``), by section.

    A question with a word outside the ``restrict_vocab`` most frequent, or whose vector is
    zero or not finite, is skipped and counted; a question whose best score is tied with a
    wrong candidate's is wrong. The answers are gensim's ``evaluate_word_analogies`` ones
    (3CosAdd; 3CosMul as its ``most_similar_cosmul``), computed as in :func:`_answers_correct`.

    Raises
    ------
    DatasetError
        If the file cannot be read, has a line that is neither ``: section`` nor four words,
        has a question before any ``: section`` line, or no question is in the vocabulary.
    """
    if method not in ANALOGY_METHODS:
        raise DatasetError(f"unknown analogy method {method!r} (choose from {', '.join(ANALOGY_METHODS)})")
    usable = embeddings.usable[:restrict_vocab]
    table = word_table(embeddings, usable, case_insensitive)
    rows = np.flatnonzero(usable)  # the candidates, most frequent first
    column = np.full(len(usable), -1, dtype=np.int64)
    column[rows] = np.arange(len(rows))
    sections: list[tuple[str, list[tuple[int, int, int, int]]]] = []
    oov = 0
    for number, line in dataset_lines(path):
        if line.startswith(":"):
            sections.append((line.lstrip(": ").strip(), []))
            continue
        words = (line.upper() if case_insensitive else line).split()
        if len(words) != 4:
            raise DatasetError(
                f"{path}:{number}: expected a question 'a b c d' or a ': section' line, got "
                f"{len(words)} word(s): {line.strip()[:60]!r}"
            )
        if not sections:
            raise DatasetError(f"{path}:{number}: analogy question before the first ': section' line")
        a, b, c, d = words
        try:
            sections[-1][1].append((table[a], table[b], table[c], table[d]))
        except KeyError:
            oov += 1
    fold = str.upper if case_insensitive else str
    heads = column[[table[fold(embeddings.words[r])] for r in rows]]
    asked = column[np.array([q for _, questions in sections for q in questions], dtype=np.int64).reshape(-1, 4)]
    hits = _answers_correct(embeddings.unit[rows], heads, asked, method)
    result = AnalogyResult(name or Path(path).stem, method, 0, 0, oov)
    done = 0
    for section, questions in sections:
        correct = int(hits[done : done + len(questions)].sum())
        done += len(questions)
        result.sections.append((section, correct, len(questions)))
        result.correct += correct
        result.questions += len(questions)
    if result.questions == 0:
        raise DatasetError(f"{path}: no analogy question has all its words in the vocabulary (with a nonzero vector)")
    return result


#: Bound on the bytes of each float32 block of :func:`_answers_correct` (cosines of the question
#: words with one tile of candidates, the pair terms, a batch's scores).
_TILE_BYTES = 16 << 20


def _answers_correct(
    candidates: np.ndarray, heads: np.ndarray, questions: np.ndarray, method: str, batch: int = 64
) -> np.ndarray:
    """Whether each question's answer ``d`` scores strictly higher than every other candidate.

    3CosAdd scores candidate ``x`` by ``(cos(x, b) - cos(x, a)) + cos(x, c)``, which ranks as
    gensim's cosine with the normalised mean of ``b``, ``c`` and ``-a`` (Levy & Goldberg 2014,
    eq. 3); 3CosMul by ``s(x, b) / (s(x, a) + 1e-6) * s(x, c)`` with ``s = (1 + cos) / 2``
    (their eq. 4 and footnote 7, as gensim's ``most_similar_cosmul``). Both in float32, so the
    ranking is gensim's up to rounding: two candidates within about 1e-7 of each other may be
    ordered otherwise than in gensim. The candidates are taken
    in tiles of columns: per tile one matrix product gives the cosines of every distinct
    question word with them, the ``a``/``b`` term is formed once per distinct pair, and each
    batch of questions gathers its pair's and its ``c``'s rows, masks the words of the question
    and keeps the best score of ``d`` and of the rest. The tile width keeps the (words, tile) and
    (pairs, tile) blocks together, and each (batch, tile) block, within about ``_TILE_BYTES``.

    Parameters
    ----------
    candidates : ndarray, shape (C, D), float32
        Unit vectors of the candidate words (nonzero), most frequent first.
    heads : ndarray, shape (C,), int64
        For each candidate, the candidate that its (case-folded) key resolves to: the most
        frequent one with that key. Words are compared by key, as gensim does: candidates with
        the key of ``a``, ``b`` or ``c`` are excluded, and one with the key of ``d`` is right.
    questions : ndarray, shape (Q, 4), int64
        Head candidates of ``a``, ``b``, ``c``, ``d``.
    method : {"3cosadd", "3cosmul"}
    batch : int
        Questions scored per block (default 64).

    Returns
    -------
    ndarray, shape (Q,), bool
        True where ``d``'s key scores strictly best; a tie with a wrong candidate is wrong
        (gensim would pick the more frequent word), and so is a ``d`` with the key of ``a``,
        ``b`` or ``c``.
    """
    count = len(candidates)
    # members[h]: the candidates whose head is h, padded with `count` (no candidate)
    order = np.argsort(heads, kind="stable")
    sizes = np.bincount(heads, minlength=count)
    members = np.full((count, max(int(sizes.max(initial=0)), 1)), count, dtype=np.int64)
    members[heads[order], np.arange(count) - np.repeat(np.cumsum(sizes) - sizes, sizes)] = order
    excluded = members[questions[:, :3]].reshape(len(questions), 3 * members.shape[1])
    answers = members[questions[:, 3]]
    words, where = np.unique(questions[:, :3], return_inverse=True)
    where = where.reshape(-1, 3)
    pairs, pair_of = np.unique(where[:, :2], axis=0, return_inverse=True)
    pair_of = pair_of.reshape(-1)
    queries = candidates[words]
    tile = max(128, _TILE_BYTES // (4 * max(len(words) + len(pairs), batch)))
    best_d = np.full(len(questions), -np.inf, dtype=np.float32)
    best_other = best_d.copy()
    blocks = np.empty((2, batch, min(tile, count)), dtype=np.float32)
    combine = np.add if method == "3cosadd" else np.multiply
    for start in range(0, count, tile):
        stop = min(start + tile, count)
        sims = queries @ candidates[start:stop].T  # (words, tile)
        if method == "3cosadd":
            left = sims[pairs[:, 1]] - sims[pairs[:, 0]]
        else:
            sims = (np.float32(1.0) + sims) / np.float32(2.0)
            left = sims[pairs[:, 1]] / (sims[pairs[:, 0]] + np.float32(COSMUL_EPSILON))
        for first in range(0, len(questions), batch):
            part = slice(first, first + batch)
            scores, right = blocks[:, : len(pair_of[part]), : stop - start]
            np.take(left, pair_of[part], axis=0, out=scores, mode="clip")  # "clip": unbuffered
            np.take(sims, where[part, 2], axis=0, out=right, mode="clip")
            combine(scores, right, out=scores)
            scores[_in_tile(excluded[part], start, stop)] = -np.inf
            inside = _in_tile(answers[part], start, stop)
            if len(inside[0]):
                np.maximum.at(best_d[part], inside[0], scores[inside])
                scores[inside] = -np.inf
            np.maximum(best_other[part], scores.max(axis=1), out=best_other[part])
    return best_d > best_other


def _in_tile(columns: np.ndarray, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, column - start) of the entries of a (B, k) array of candidates in [start, stop)."""
    row, k = np.nonzero((columns >= start) & (columns < stop))
    return row, columns[row, k] - start


def evaluate_all(
    embeddings: Embeddings,
    data_dir: str | os.PathLike | None = None,
    methods: tuple[str, ...] = ANALOGY_METHODS,
    case_insensitive: bool = True,
) -> tuple[list, list[str]]:
    """Every known dataset that is shipped or found in ``data_dir`` / ``$EMBEDKIT_DATA``.

    Similarity, synonym and contextual sets use the 300,000 most frequent words, analogies the
    30,000 most frequent and each of ``methods``.

    Returns
    -------
    results : list of SimilarityResult, AnalogyResult and SynonymResult, in registry order
    skipped : list of str
        One note per set that was not found or could not be scored (too few words in the
        vocabulary).
    """
    results: list = []
    skipped = []
    for name, dataset in DATASETS.items():
        path = locate(name, data_dir)
        if path is None:
            skipped.append(f"{name}: not found")
            continue
        try:
            if dataset.kind == "analogy":
                results += [
                    evaluate_analogy(embeddings, path, name, method=m, case_insensitive=case_insensitive)
                    for m in methods
                ]
            else:
                results.append(evaluator(dataset.kind)(embeddings, path, name, case_insensitive=case_insensitive))
        except EmbedkitError as exc:
            skipped.append(f"{name}: {exc}")
    return results, skipped


def evaluator(kind: str):
    """The scoring function of a non-analogy dataset kind (``similarity``, ``synonym``,
    ``contextual``); each takes ``(embeddings, path, name, restrict_vocab=..., case_insensitive=...)``."""
    from .synonyms import evaluate_toefl  # synonyms builds on this module's readers

    return {"similarity": evaluate_similarity, "synonym": evaluate_toefl, "contextual": evaluate_scws}[kind]
