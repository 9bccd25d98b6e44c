"""TOEFL synonym questions (Landauer & Dumais 1997, Psychological Review 104:211): 80 items,
each a probe word and four choices of which one is its synonym; the answer is the choice with
the highest cosine to the probe.

The set is not redistributable; users supply the published pair of files: ``toefl.qst``,
fields separated by tabs (shown as ``<TAB>``)::

    1.<TAB>enormously
    <TAB>a.<TAB>appropriately
    <TAB>b.<TAB>uniquely
    <TAB>c.<TAB>tremendously
    <TAB>d.<TAB>decidedly

(blank lines between items) and, beside it, ``toefl.ans`` with one line per item whose first
field is the item number and last field the letter of the right choice (``1<TAB>(a,a,-)<TAB>1<TAB>c``).

A question is asked only if its probe and all four choices are among the ``restrict_vocab``
most frequent words with a usable vector; the others are counted as OOV (as analogies are).
A tie between the right choice and a wrong one is answered wrong.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DatasetError
from .evaluate import SIMILARITY_RESTRICT, dataset_lines, word_table
from .vectors import Embeddings

CHOICES = "abcd"
_PROBE = re.compile(r"^\s*(\d+)\.\s+(\S.*?)\s*$")
_CHOICE = re.compile(r"^\s*([a-d])\.\s+(\S.*?)\s*$")
_ANSWER = re.compile(r"^\s*(\d+)\b.*?\b([a-d])\s*$")


@dataclass(frozen=True)
class SynonymQuestion:
    """A ``probe`` word, its four ``choices`` and the index of the right one (``answer``, 0-3)."""

    probe: str
    choices: tuple[str, str, str, str]
    answer: int


@dataclass
class SynonymResult:
    """Accuracy over the questions whose five words are in the vocabulary."""

    dataset: str
    correct: int
    questions: int
    oov_questions: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.questions

    def row(self) -> dict:
        """One line of the ``evaluate all`` table."""
        return {
            "dataset": self.dataset,
            "metric": "accuracy",
            "score": self.accuracy,
            "used": self.questions,
            "total": self.questions + self.oov_questions,
            "oov": self.oov_questions,
        }

    def summary(self) -> str:
        return (
            f"{self.dataset}: accuracy {self.accuracy:.4f} ({self.correct}/{self.questions}), "
            f"{self.oov_questions} questions skipped (a word out of vocabulary)"
        )


def answers_path(questions_path: str | os.PathLike) -> Path:
    """``toefl.ans`` beside ``toefl.qst``: the same name with the suffix ``.ans``."""
    return Path(questions_path).with_suffix(".ans")


def read_toefl(path: str | os.PathLike) -> list[SynonymQuestion]:
    """The questions of a ``.qst`` file and the answers of the ``.ans`` file beside it.

    Raises
    ------
    DatasetError
        If a file is missing or unreadable, a line is neither a numbered probe nor a lettered
        choice, an item does not have choices a-d in order, or the answers do not number the
        same items.
    """
    items: list[tuple[int, str, list[str]]] = []
    for number, line in dataset_lines(path):
        probe, choice = _PROBE.match(line), _CHOICE.match(line)
        if probe:
            items.append((int(probe.group(1)), probe.group(2), []))
        elif choice and items and len(items[-1][2]) < 4 and choice.group(1) == CHOICES[len(items[-1][2])]:
            items[-1][2].append(choice.group(2))
        else:
            raise DatasetError(f"{path}:{number}: expected 'N. probe' or the next choice 'a.'-'d.', got {line[:60]!r}")
    for item, probe, choices in items:
        if len(choices) != 4:
            raise DatasetError(f"{path}: item {item} ({probe!r}) has {len(choices)} choices, not 4")
    answers = {}
    ans = answers_path(path)
    for number, line in dataset_lines(ans):
        match = _ANSWER.match(line)
        if not match:
            raise DatasetError(f"{ans}:{number}: expected 'N ... letter' (item, answer a-d), got {line[:60]!r}")
        answers[int(match.group(1))] = CHOICES.index(match.group(2))
    numbers = [item for item, _, _ in items]
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        raise DatasetError(f"{path}: item number(s) {', '.join(map(str, repeated))} appear more than once")
    if not items or sorted(answers) != sorted(numbers):
        raise DatasetError(f"{ans}: answers for {len(answers)} item(s), but {path} has {len(items)} different ones")
    return [SynonymQuestion(probe, tuple(choices), answers[item]) for item, probe, choices in items]


def evaluate_toefl(
    embeddings: Embeddings,
    path: str | os.PathLike,
    name: str | None = None,
    restrict_vocab: int = SIMILARITY_RESTRICT,
    case_insensitive: bool = True,
) -> SynonymResult:
    """Answer each question by the choice most cosine-similar to the probe (see the module).

    Raises
    ------
    DatasetError
        As :func:`read_toefl`, or if no question has all its words in the vocabulary.
    """
    table = word_table(embeddings, embeddings.usable[:restrict_vocab], case_insensitive)
    fold = str.upper if case_insensitive else str
    unit = embeddings.unit
    correct = asked = oov = 0
    for question in read_toefl(path):
        words = [fold(w) for w in (question.probe, *question.choices)]
        if not all(w in table for w in words):
            oov += 1
            continue
        rows = [table[w] for w in words]
        scores = unit[rows[1:]] @ unit[rows[0]]
        others = np.delete(scores, question.answer)
        correct += bool(scores[question.answer] > others.max())
        asked += 1
    if asked == 0:
        raise DatasetError(f"{path}: no question has its probe and four choices in the vocabulary")
    return SynonymResult(name or Path(path).stem, correct, asked, oov)
