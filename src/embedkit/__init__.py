"""embedkit: train, query and evaluate static word embeddings on one machine.

Library entry points: :func:`embedkit.encode.prepare_corpus` (text -> vocabulary + encoded
corpus), :func:`embedkit.models.word2vec.train_word2vec` (skip-gram and CBOW),
:class:`embedkit.vectors.Embeddings` (load/save/query vectors) and :mod:`embedkit.evaluate`.

Importing the package chooses where numba keeps its compiled kernels (numba is not imported
here): numba writes them beside the sources (``__pycache__``) when it can; when the package is
installed read-only and ``NUMBA_CACHE_DIR`` is not set, it is set to ``<cache dir>/numba`` (see
:mod:`embedkit.cache`), or a temporary directory if the cache directory cannot be used — so
numba never fails for want of a writable home directory.
"""

import os as _os

__version__ = "0.1.0"


def _sources_writable() -> bool:
    """Whether numba can keep its cache beside the jitted modules (``__pycache__``)."""
    package = _os.path.dirname(__file__)
    for directory in (package, _os.path.join(package, "models")):
        pycache = _os.path.join(directory, "__pycache__")
        where = pycache if _os.path.isdir(pycache) else directory
        if not _os.access(where, _os.W_OK | _os.X_OK):
            return False
    return True


def _configure_numba_cache() -> None:
    if "NUMBA_CACHE_DIR" in _os.environ or _sources_writable():
        return
    from .cache import numba_cache_dir

    _os.environ["NUMBA_CACHE_DIR"] = str(numba_cache_dir())


_configure_numba_cache()

from .training import train  # noqa: E402  (after the numba cache directory is chosen)

__all__ = ["__version__", "train"]
