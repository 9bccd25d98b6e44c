"""Numba kernel of the encoding step (driven by :func:`embedkit.encode.remap_ids`): provisional
word ids of the counting pass to vocabulary ids, one block of the token stream at a time."""

from __future__ import annotations

import numba as nb

#: :func:`remap_block`'s answers when its input does not fit together.
TOO_MANY_IDS = -1
ID_OUT_OF_RANGE = -2


@nb.njit(cache=True, nogil=True)
def remap_block(block, mapping, out, lengths, kept_per_sentence, cursor):
    """Map ``block`` through ``mapping`` into ``out``, dropping ids mapped to -1, and count each
    sentence's kept tokens.

    Parameters
    ----------
    block : int32 (n,)
        Provisional ids, the next ``n`` tokens of the stream.
    mapping : int32 (W,)
        Vocabulary id of each provisional id, -1 for a word outside the vocabulary.
    out : int32 (>= n,)
        Receives the kept vocabulary ids, from index 0.
    lengths : int64 (S,)
        Tokens of each sentence of the whole stream.
    kept_per_sentence : int64 (S,)
        Kept tokens of each sentence, added to in place.
    cursor : int64 (2,)
        ``[sentence, tokens of it still to come]`` where the block starts; ``[-1, 0]`` before the
        first block. Updated in place.

    Returns
    -------
    int
        Ids written to ``out``; :data:`TOO_MANY_IDS` if the block runs past the last sentence,
        :data:`ID_OUT_OF_RANGE` if an id is not in ``[0, W)``.
    """
    sentence, left = cursor[0], cursor[1]
    written = 0
    for t in range(block.shape[0]):
        while left == 0:
            sentence += 1
            if sentence >= lengths.shape[0]:
                return TOO_MANY_IDS
            left = lengths[sentence]
        left -= 1
        word = block[t]
        if word < 0 or word >= mapping.shape[0]:
            return ID_OUT_OF_RANGE
        target = mapping[word]
        if target >= 0:
            out[written] = target
            written += 1
            kept_per_sentence[sentence] += 1
    cursor[0], cursor[1] = sentence, left
    return written
