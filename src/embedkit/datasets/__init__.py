"""Evaluation datasets: the three shipped with the package and the standard sets read from a
data directory.

Shipped: ``wordsim353.tsv`` and ``simlex999.txt`` (the copies gensim ships: ``#`` comments, tab
separated ``word1 word2 score``) and ``google-analogies.txt`` (gensim's ``questions-words.txt``:
19,544 questions in 14 ``: section`` blocks; Apache-2.0).

The other similarity sets may not be redistributed here; :func:`dataset_path` looks for them (by
the file names of Faruqui & Dyer's eval-word-vectors collection) in the directory given, in
``$EMBEDKIT_DATA``, and in their ``similarity/`` subdirectories. ``embedkit datasets`` lists
every set with its status and source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import ConfigError, DatasetError
from ..files import read_text_file

#: Where the non-shipped similarity files can be downloaded.
WORD_SIM_SOURCE = "https://github.com/mfaruqui/eval-word-vectors/tree/master/data/word-sim"
DATA_ENV = "EMBEDKIT_DATA"


@dataclass(frozen=True)
class Dataset:
    """One evaluation set: ``kind`` is ``similarity`` or ``analogy``; ``shipped`` ones live in
    the package, the others are found by ``filename`` in a data directory."""

    name: str
    kind: str
    filename: str
    reference: str
    shipped: bool = False
    source: str = WORD_SIM_SOURCE


DATASETS = {
    d.name: d
    for d in [
        Dataset("wordsim353", "similarity", "wordsim353.tsv", "Finkelstein et al. 2002", True, "gensim test data"),
        Dataset("simlex999", "similarity", "simlex999.txt", "Hill, Reichart & Korhonen 2015", True, "gensim test data"),
        Dataset(
            "google-analogy",
            "analogy",
            "google-analogies.txt",
            "Mikolov et al. 2013, arXiv:1301.3781",
            True,
            "gensim test data (questions-words.txt)",
        ),
        Dataset("ws353-sim", "similarity", "EN-WS-353-SIM.txt", "Agirre et al. 2009 (WS-353 similarity part)"),
        Dataset("ws353-rel", "similarity", "EN-WS-353-REL.txt", "Agirre et al. 2009 (WS-353 relatedness part)"),
        Dataset("men", "similarity", "EN-MEN-TR-3k.txt", "Bruni, Tran & Baroni 2014"),
        Dataset("rw", "similarity", "EN-RW-STANFORD.txt", "Luong, Socher & Manning 2013 (rare words)"),
        Dataset("mturk-771", "similarity", "EN-MTurk-771.txt", "Halawi et al. 2012"),
        Dataset("mturk-287", "similarity", "EN-MTurk-287.txt", "Radinsky et al. 2011"),
        Dataset("simverb-3500", "similarity", "EN-SimVerb-3500.txt", "Gerz et al. 2016"),
        Dataset("rg-65", "similarity", "EN-RG-65.txt", "Rubenstein & Goodenough 1965"),
        Dataset("mc-30", "similarity", "EN-MC-30.txt", "Miller & Charles 1991"),
        Dataset("yp-130", "similarity", "EN-YP-130.txt", "Yang & Powers 2006 (verbs)"),
        Dataset("verb-143", "similarity", "EN-VERB-143.txt", "Baker, Reichart & Korhonen 2014"),
        Dataset(
            "toefl",
            "synonym",
            "toefl.qst",
            "Landauer & Dumais 1997 (80 items; toefl.ans beside it)",
            source="the LSA group of the University of Colorado, on request",
        ),
        Dataset(
            "scws",
            "contextual",
            "SCWS/ratings.txt",
            "Huang et al. 2012 (AvgSim: the cosine)",
            source="http://www.socher.org (SCWS.zip of Huang et al. 2012)",
        ),
    ]
}


def _search_dirs(data_dir: str | os.PathLike | None) -> list[Path]:
    roots = [Path(p) for p in (data_dir, os.environ.get(DATA_ENV)) if p]
    return [d for root in roots for d in (root, root / "similarity", root / "analogy")]


def locate(name: str, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The file of dataset ``name`` if it is shipped or found in the data directories, else None."""
    dataset = DATASETS[name]
    if dataset.shipped:
        return Path(str(resources.files(__name__) / dataset.filename))
    return next((d / dataset.filename for d in _search_dirs(data_dir) if (d / dataset.filename).is_file()), None)


def dataset_path(name: str, data_dir: str | os.PathLike | None = None) -> tuple[str, Path]:
    """(kind, path) of a known dataset.

    Raises
    ------
    EmbedkitError
        For an unknown name, or a set that is not shipped and not found in ``data_dir`` or
        ``$EMBEDKIT_DATA`` (the message says where to download it).
    """
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r} (known: {', '.join(DATASETS)}; or pass --dataset PATH)")
    path = locate(name, data_dir)
    if path is None:
        dataset = DATASETS[name]
        raise DatasetError(
            f"dataset {name} ({dataset.filename}) is not shipped; download it from {dataset.source} "
            f"and pass --data-dir DIR or set {DATA_ENV}"
        )
    return DATASETS[name].kind, path


def stopwords(spec: str) -> frozenset[str]:
    """Stopwords by name or file: ``"none"`` (empty), ``"english"`` (the shipped list of
    English function words) or the path of a file with one word per line (``#`` comments).

    Raises
    ------
    ConfigError
        If the file cannot be read or is not UTF-8 text (see :func:`read_text`).
    """
    if spec == "none":
        return frozenset()
    path = Path(str(resources.files(__name__) / "stopwords-english.txt")) if spec == "english" else Path(spec)
    lines = read_text_file(path, "stopword list", ConfigError).splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))
