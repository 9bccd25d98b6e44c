"""Export to the TensorBoard Embedding Projector (https://projector.tensorflow.org): the
``PREFIX_tensor.tsv`` / ``PREFIX_metadata.tsv`` pair its "Load" dialog reads.

``_tensor.tsv`` holds one vector per line, values separated by tabs; ``_metadata.tsv`` one label
per line, in the same order, without a header (the Projector reads a header line only when there
are two or more columns). A word's backslashes, tabs, newlines and carriage returns are written
as ``\\\\``, ``\\t``, ``\\n``, ``\\r``, so that every word stays one cell on its own line.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .files import atomic_writer, check_output_path
from .vectors import Embeddings

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
#: Rows formatted at a time.
_ROWS = 4096


def projector_paths(prefix: str | os.PathLike) -> tuple[Path, Path]:
    """``(PREFIX_tensor.tsv, PREFIX_metadata.tsv)``."""
    prefix = str(prefix)
    return Path(prefix + "_tensor.tsv"), Path(prefix + "_metadata.tsv")


def escape_label(word: str) -> str:
    """``word`` with backslash, tab, newline and carriage return escaped (one TSV cell)."""
    return word.translate(_ESCAPES)


def write_projector(embeddings: Embeddings, prefix: str | os.PathLike, limit: int | None = None) -> tuple[Path, Path]:
    """Write the first ``limit`` (default all) vectors and their words as the Projector's TSV pair.

    Parameters
    ----------
    embeddings : Embeddings
        float32 (V, D) vectors and their words (most frequent first in files embedkit writes).
    prefix : str or PathLike
        Output prefix; its directory must exist.
    limit : int, optional
        Export the first ``limit`` rows only (the Projector is comfortable up to ~100k points).

    Returns
    -------
    The two paths written. Each is written atomically (a temporary file renamed into place).

    Raises
    ------
    StorageError
        If a path cannot be written (missing directory, not writable, a directory).
    """
    tensor_path, metadata_path = projector_paths(prefix)
    for path in (tensor_path, metadata_path):
        check_output_path(path)
    rows = len(embeddings) if limit is None else min(limit, len(embeddings))
    with atomic_writer(tensor_path, "w") as fh:
        for begin in range(0, rows, _ROWS):
            block = embeddings.vectors[begin : min(begin + _ROWS, rows)]
            np.savetxt(fh, block, fmt="%.9g", delimiter="\t")  # 9 digits: float32 exactly
    with atomic_writer(metadata_path, "w") as fh:
        fh.writelines(escape_label(word) + "\n" for word in embeddings.words[:rows])
    return tensor_path, metadata_path
