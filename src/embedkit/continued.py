"""Continued training: a trained model meets new text (gensim's ``build_vocab(update=True)``).

The policy, and why:

* **Vocabulary**: the counts of the new text (cut at the model's ``min_count``, as gensim does for
  an update) are added to the old counts; words new to the model are appended. The merged
  vocabulary is then re-sorted by merged count (stable: among equal counts old words come first),
  so it stays "most frequent first" — the order vector files, ``--restrict-vocab`` and the
  Huffman tree rely on. Every old word keeps its rows; only their positions move.
* **New words** get fresh parameters as at the start of a run (word2vec: W ~ U(-0.5/D, 0.5/D),
  C = 0; GloVe: glove.c's initialisation and squared-gradient sums of 1).
* **Tables** are rebuilt from the merged counts: noise distribution, subsampling, Huffman tree
  (hierarchical softmax: the inner-node vectors are kept and the new inner nodes start at 0;
  the tree's shape may change, as in gensim).
* **Learning rate** restarts from ``alpha`` and decays linearly over the new epochs: the new text
  is a new schedule, and a rate left at ``alpha * 1e-4`` would teach the new words nothing.
  The price is *drift*: old words move toward what the new text says about them.
* **GloVe** counts the co-occurrences of the new text only, and keeps the AdaGrad sums of old
  words, so their steps stay as small as their history made them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .config import flagged_fields
from .encode import EncodedCorpus, PreparedCorpus, raw_to_npy
from .errors import ConfigError
from .files import scratch_directory
from .vocab import Vocabulary

_BLOCK_TOKENS = 1 << 22


def merge_vocabularies(old: Vocabulary, new: Vocabulary) -> tuple[Vocabulary, np.ndarray, np.ndarray]:
    """The merged vocabulary and where each old and new word went.

    Parameters
    ----------
    old : Vocabulary
        The model's.
    new : Vocabulary
        The new text's (already cut at ``min_count``).

    Returns
    -------
    merged : Vocabulary
        Words by descending merged count (old words first among ties).
    old_rows : ndarray, int64 (V_old,)
        Row of old word ``i`` in ``merged``.
    new_rows : ndarray, int64 (V_new,)
        Row of the new text's word ``j`` in ``merged``.
    """
    counts = dict(zip(old.words, old.counts.tolist()))
    for word, count in zip(new.words, new.counts.tolist()):
        counts[word] = counts.get(word, 0) + count
    words = old.words + [w for w in new.words if w not in old.index]
    merged_counts = np.array([counts[w] for w in words], dtype=np.int64)
    order = np.argsort(-merged_counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    merged = Vocabulary([words[i] for i in order], merged_counts[order])
    position = {w: i for i, w in enumerate(words)}
    new_rows = rank[np.array([position[w] for w in new.words], dtype=np.int64)]
    return merged, rank[: len(old.words)], new_rows


def grown_rows(old: np.ndarray, old_rows: np.ndarray, fresh: np.ndarray) -> np.ndarray:
    """An array of ``len(old_rows) + len(fresh)`` rows: old row ``i`` at ``old_rows[i]``, the
    fresh rows (new words, in merged order) in the remaining positions."""
    out = np.empty((old.shape[0] + fresh.shape[0], *old.shape[1:]), dtype=old.dtype)
    taken = np.zeros(out.shape[0], dtype=bool)
    taken[old_rows] = True
    out[old_rows] = old
    out[~taken] = fresh
    return out


@contextmanager
def remapped(prepared: PreparedCorpus, vocab: Vocabulary, new_rows: np.ndarray) -> Iterator[PreparedCorpus]:
    """``prepared`` re-encoded with the merged ids (streamed into a scratch directory, removed
    when the block ends)."""
    mapping = new_rows.astype(np.int32)
    encoded = prepared.encoded
    with scratch_directory("embedkit-continue") as scratch:
        raw = Path(scratch) / "ids.raw"
        with open(raw, "wb") as fh:
            for start in range(0, encoded.n_tokens, _BLOCK_TOKENS):
                fh.write(mapping[encoded.read_ids(start, min(start + _BLOCK_TOKENS, encoded.n_tokens))].tobytes())
        raw_to_npy(raw, Path(scratch) / "ids.npy", np.dtype(np.int32), encoded.n_tokens)
        yield PreparedCorpus(
            vocab,
            EncodedCorpus(Path(scratch) / "ids.npy", encoded.sentence_starts),
            prepared.stats,
            False,
            None,
            prepared.warn,
        )


def continue_training(
    model,
    prepared: PreparedCorpus,
    changes: dict | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    checkpoint_factory: Callable | None = None,
    use_cache: bool = True,
):
    """Train ``model`` further on new text (in place); see the module docstring for the policy.

    Parameters
    ----------
    model : embedkit.model.Model
    prepared : PreparedCorpus
        The new text, prepared with the model's corpus and vocabulary options.
    changes : dict, optional
        Config fields to override (None values ignored): those marked ``retrain`` or ``run``
        (``epochs``, the learning rate ``alpha`` or ``eta``, ``threads``). Lowering word2vec's
        ``alpha`` below its ``min_alpha`` lowers ``min_alpha`` too.
    checkpoint_factory : callable, optional
        ``checkpoint_factory(model) -> checkpoint`` once the model has grown.

    Returns
    -------
    embeddings, report
        As :meth:`embedkit.model.Model.train`.

    Raises
    ------
    ConfigError
        For a change of another field, or an invalid value.
    """
    changes = {k: v for k, v in (changes or {}).items() if v is not None}
    allowed = flagged_fields(type(model.config), "retrain") | flagged_fields(type(model.config), "run")
    if set(changes) - allowed:
        refused = ", ".join(sorted(set(changes) - allowed))
        raise ConfigError(f"continued training may change only {', '.join(sorted(allowed))}, not {refused}")
    merged, old_rows, new_rows = merge_vocabularies(model.vocab, prepared.vocab)
    if log:
        log(
            f"continued training: {len(model.vocab):,} words + {len(merged) - len(model.vocab):,} new = "
            f"{len(merged):,}; learning rate restarts from alpha"
        )
    if "alpha" in changes and getattr(model.config, "min_alpha", None) is not None:
        changes["min_alpha"] = min(model.config.min_alpha, changes["alpha"])
    model.config = dataclasses.replace(model.config, **changes)
    model.state = model.state.grown(model.config, old_rows, len(merged))
    model.vocab, model.text_rows = merged, new_rows
    model.corpus = {**model.corpus, "tokens": prepared.encoded.n_tokens, "sentences": prepared.encoded.n_sentences}
    checkpoint = checkpoint_factory(model) if checkpoint_factory else None
    return model.train(prepared, progress, log, checkpoint, use_cache)
