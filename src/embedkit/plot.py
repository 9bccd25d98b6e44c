"""2-D pictures of word vectors: PCA (default) or t-SNE projections, labelled points and analogy
arrows (the country-capital picture of Mikolov et al. 2013), drawn with matplotlib.

matplotlib (and scikit-learn for t-SNE) are optional dependencies: ``pip install 'embedkit[plot]'``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import EmbedkitError
from .files import atomic_writer
from .vectors import Embeddings

PROJECTIONS = ("pca", "tsne")
IMAGE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
DPI = 100


def project(vectors: np.ndarray, method: str = "pca", seed: int = 1) -> np.ndarray:
    """Project (n, D) vectors to (n, 2), float64.

    ``pca``: the centred vectors on their first two principal axes (NumPy SVD). ``tsne``:
    scikit-learn's ``TSNE`` (perplexity ``min(30, (n - 1) / 3)``, PCA initialisation, seeded).

    Raises
    ------
    EmbedkitError
        With fewer than 3 vectors, an unknown method, or scikit-learn missing for t-SNE.
    """
    if vectors.shape[0] < 3:
        raise EmbedkitError("a plot needs at least 3 words")
    data = np.asarray(vectors, dtype=np.float64)
    if method == "pca":
        centred = data - data.mean(axis=0)
        _, _, axes = np.linalg.svd(centred, full_matrices=False)
        return centred @ axes[:2].T
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            raise EmbedkitError("t-SNE needs scikit-learn: pip install scikit-learn (or use --method pca)") from None
        perplexity = min(30.0, (data.shape[0] - 1) / 3)
        return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(data)
    raise EmbedkitError(f"unknown projection {method!r} (choose from {', '.join(PROJECTIONS)})")


def plot_words(
    embeddings: Embeddings,
    words: Sequence[str],
    path: str | os.PathLike,
    pairs: Sequence[tuple[str, str]] = (),
    method: str = "pca",
    width: int = 800,
    height: int = 600,
    title: str | None = None,
    seed: int = 1,
) -> None:
    """Draw ``words`` (and the words of ``pairs``) as labelled points, with an arrow from the
    first to the second word of each pair, and write the image atomically.

    Parameters
    ----------
    path : str or PathLike
        ``.png``, ``.svg`` or ``.pdf``.
    width, height : int
        Image size in pixels (at 100 dpi; SVG and PDF get the same size in points * 100/72).

    Raises
    ------
    EmbedkitError
        For an unknown word, an unsupported extension, or a missing matplotlib.
    UnknownWordError
        If a word is not in the vocabulary.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        raise EmbedkitError(f"cannot tell the image format of {path}: use {', '.join(IMAGE_FORMATS)}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise EmbedkitError("plots need matplotlib: pip install 'embedkit[plot]'") from None
    ordered = list(dict.fromkeys([*words, *(w for pair in pairs for w in pair)]))
    points = project(embeddings.vectors[[embeddings.row(w) for w in ordered]], method, seed)
    where = {w: points[i] for i, w in enumerate(ordered)}
    figure, axes = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
    try:
        axes.scatter(points[:, 0], points[:, 1], s=12, color="tab:blue")
        for word, (x, y) in where.items():
            axes.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=9)
        for start, end in pairs:
            axes.annotate("", xy=where[end], xytext=where[start],
                          arrowprops={"arrowstyle": "->", "color": "tab:gray", "lw": 0.8})
        axes.set_title(title or f"{len(ordered)} words, {method.upper()} projection of {embeddings.dim}-d vectors")
        axes.set_xticks([])
        axes.set_yticks([])
        with atomic_writer(path, "wb") as fh:
            figure.savefig(fh, format=IMAGE_FORMATS[suffix], dpi=DPI)
    finally:
        plt.close(figure)
