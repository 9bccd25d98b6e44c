"""Evaluation datasets shipped with the package.

``wordsim353.tsv`` and ``simlex999.txt`` are the copies gensim ships (``#`` comments, tab
separated ``word1 word2 score``); ``google-analogies.txt`` is gensim's ``questions-words.txt``
(19,544 questions in 14 ``: section`` blocks; Apache-2.0).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import EmbedkitError

#: name -> (kind, file name, reference)
DATASETS = {
    "wordsim353": ("similarity", "wordsim353.tsv", "Finkelstein et al. 2002"),
    "simlex999": ("similarity", "simlex999.txt", "Hill, Reichart & Korhonen 2015"),
    "google-analogy": ("analogy", "google-analogies.txt", "Mikolov et al. 2013, arXiv:1301.3781"),
}


def dataset_path(name: str) -> tuple[str, Path]:
    """(kind, path) of a shipped dataset.

    Raises
    ------
    EmbedkitError
        For an unknown name.
    """
    if name not in DATASETS:
        raise EmbedkitError(f"unknown dataset {name!r} (known: {', '.join(DATASETS)}; or pass --dataset PATH)")
    kind, filename, _ = DATASETS[name]
    return kind, Path(str(resources.files(__name__) / filename))


def stopwords(spec: str) -> frozenset[str]:
    """Stopwords by name or file: ``"none"`` (empty), ``"english"`` (the shipped list of
    English function words) or the path of a file with one word per line (``#`` comments).

    Raises
    ------
    EmbedkitError
        If the file cannot be read.
    """
    if spec == "none":
        return frozenset()
    path = Path(str(resources.files(__name__) / "stopwords-english.txt")) if spec == "english" else Path(spec)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EmbedkitError(f"cannot read stopword list {spec}: {exc.strerror}") from None
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))
