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
