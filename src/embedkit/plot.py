"""2-D pictures of word vectors: PCA (default) or t-SNE projections, labelled points and analogy
arrows (the country-capital picture of Mikolov et al. 2013), drawn with matplotlib.

matplotlib (and scikit-learn for t-SNE) are optional dependencies: ``pip install 'embedkit[plot]'``.

Titles and labels are drawn literally (no mathtext, no TeX), so a ``$`` in a word or title is
just a dollar sign; a character the fonts lack is drawn as a box, without a warning. Words whose
vector is zero or not finite have no direction and are left out of the picture (and reported);
the image is written atomically, after the output path was checked.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .bias import check_seed
from .errors import EmbedkitError
from .files import atomic_writer, check_output_path
from .vectors import Embeddings

PROJECTIONS = ("pca", "tsne")
IMAGE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
DPI = 100
#: Accepted image width and height in pixels (matplotlib fails beyond 2**16 px; memory before that).
SIDE_RANGE = (100, 10_000)
#: Text drawn as given: no mathtext parsing of ``$...$``, no TeX.
LITERAL_TEXT = {"parse_math": False, "usetex": False}


def project(vectors: np.ndarray, method: str = "pca", seed: int = 1) -> np.ndarray:
    """Project (n, D) vectors to (n, 2), float64.

    ``pca``: the centred vectors on their first two principal axes (NumPy SVD). ``tsne``:
    scikit-learn's ``TSNE`` (perplexity ``min(30, (n - 1) / 3)``, PCA initialisation, seeded).
    1-d vectors get a zero second coordinate (a line of points).

    Raises
    ------
    ConfigError
        If ``seed`` is out of :data:`embedkit.bias.SEED_RANGE`.
    EmbedkitError
        With fewer than 3 vectors, a NaN or infinite value, all vectors equal, an unknown method,
        or scikit-learn missing for t-SNE.
    """
    check_seed(seed)
    if vectors.shape[0] < 3:
        raise EmbedkitError("a plot needs at least 3 words")
    data = np.asarray(vectors, dtype=np.float64)
    if data.shape[1] == 1:  # two axes to project on: the second one is flat
        data = np.hstack([data, np.zeros_like(data)])
    if not np.isfinite(data).all():
        raise EmbedkitError("cannot project vectors with NaN or infinite values")
    if not np.ptp(data, axis=0).any():  # t-SNE's PCA start divides by this spread (and then crashes)
        raise EmbedkitError(f"all {data.shape[0]} words have the same vector: a projection cannot tell them apart")
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
    inputs: Sequence[str | os.PathLike] = (),
) -> list[str]:
    """Draw ``words`` (and the words of ``pairs``) as labelled points, with an arrow from the
    first to the second word of each pair, and write the image atomically.

    Parameters
    ----------
    path : str or PathLike
        ``.png``, ``.svg`` or ``.pdf``; checked (directory exists and is writable, not a
        directory) before any work.
    width, height : int
        Image size in pixels, within :data:`SIDE_RANGE` (at 100 dpi; SVG and PDF get the same
        size in points * 100/72).
    title : str, optional
        Drawn literally (``$`` is not mathtext).
    inputs : sequence of paths
        Files this run reads (the vectors file): ``path`` must not be one of them.

    Returns
    -------
    list of str
        The words left out because their vector is zero or not finite (their arrows too).

    Raises
    ------
    EmbedkitError
        For an unsupported extension, a size out of range, fewer than 3 words with a vector,
        or a missing matplotlib.
    StorageError
        If ``path`` cannot be written or is one of ``inputs``.
    UnknownWordError
        If a word is not in the vocabulary.
    """
    low, high = SIDE_RANGE
    if not (low <= width <= high and low <= height <= high):
        raise EmbedkitError(f"image size {width}x{height} is out of range: width and height must be {low}-{high} px")
    check_image_path(path, inputs)
    plt = _pyplot()
    ordered = list(dict.fromkeys([*words, *(w for pair in pairs for w in pair)]))
    rows = [embeddings.row(w) for w in ordered]
    usable = embeddings.usable[rows]
    dropped = [w for w, ok in zip(ordered, usable) if not ok]
    ordered = [w for w, ok in zip(ordered, usable) if ok]
    pairs = [(a, b) for a, b in pairs if a not in dropped and b not in dropped]
    if len(ordered) < 3 and dropped:
        raise EmbedkitError(
            f"a plot needs at least 3 words with a nonzero, finite vector; "
            f"{', '.join(dropped)} ha{'s' if len(dropped) == 1 else 've'} none"
        )
    points = project(embeddings.vectors[np.asarray(rows, dtype=np.intp)[usable]], method, seed)
    _draw(
        plt,
        points,
        ordered,
        pairs,
        path,
        width,
        height,
        title or f"{len(ordered)} words, {method.upper()} projection of {embeddings.dim}-d vectors",
    )
    return dropped


def check_image_path(path: str | os.PathLike, inputs: Sequence[str | os.PathLike] = ()) -> str:
    """The image suffix of ``path`` (``.png``, ``.svg`` or ``.pdf``) after checking it can be
    written and is none of ``inputs``; raises EmbedkitError or StorageError otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        raise EmbedkitError(f"cannot tell the image format of {path}: use {', '.join(IMAGE_FORMATS)}")
    check_output_path(path, inputs=inputs, what="image")
    return suffix


def save_figure(figure, path: str | os.PathLike) -> None:
    """Write a matplotlib ``figure`` atomically in the format of ``path``'s suffix, then close it."""
    try:
        with atomic_writer(path, "wb") as fh:
            figure.savefig(fh, format=IMAGE_FORMATS[Path(path).suffix.lower()], dpi=DPI)
    finally:
        _pyplot().close(figure)


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise EmbedkitError("plots need matplotlib: pip install 'embedkit[plot]'") from None
    return plt


def _draw(
    plt,
    points: np.ndarray,
    words: list[str],
    pairs: Sequence[tuple[str, str]],
    path,
    width: int,
    height: int,
    title: str,
) -> None:
    where = {w: points[i] for i, w in enumerate(words)}
    figure, axes = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
    try:
        with warnings.catch_warnings():
            # a character the fonts lack is drawn as a box: no warning per glyph on stderr
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
            axes.scatter(points[:, 0], points[:, 1], s=12, color="tab:blue")
            for word, (x, y) in where.items():
                axes.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=9, **LITERAL_TEXT)
            for start, end in pairs:
                axes.annotate(
                    "",
                    xy=where[end],
                    xytext=where[start],
                    arrowprops={"arrowstyle": "->", "color": "tab:gray", "lw": 0.8},
                )
            axes.set_title(title, **LITERAL_TEXT)
            axes.set_xticks([])
            axes.set_yticks([])
            save_figure(figure, path)
    finally:
        plt.close(figure)
