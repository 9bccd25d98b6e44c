"""The scaling model of data-parallel word2vec (docs/scaling.md): bytes per round and epoch,
round time, expected speed-up with N workers.

A round: every worker trains ``sync_words`` words (``sync_words / rate`` seconds at ``rate``
words/s per worker), then sends the rows of the round's tier of W and C to the client and
receives the combined rows: ``2 * N * T_r * dim * 4`` bytes per matrix cross the client's link
(one star: the client combines). ``T_r = min(V, 1024 * 2**tz(r))`` for the epoch's rounds
``r = 1 .. R - 1`` and ``T_R = V`` at the epoch end, ``R = ceil(tokens / (N * sync_words))``.
Workers wait for the slowest and for the combine: round time = compute + bytes / bandwidth +
``overhead`` (the per-round fixed cost: actor calls, the client's combining, measured).

    python scripts/scaling_model.py [--tokens 16415839] [--vocab 70265] [--dim 100] [--rate 6e5]
        [--sync-words 1e5] [--bandwidth-gbit 10] [--overhead 0.016] [--workers 2 8 32]
"""

from __future__ import annotations

import argparse
import math


def tier(round_number: int, vocab: int) -> int:
    return min(vocab, 1024 << ((round_number & -round_number).bit_length() - 1))


def epoch(tokens: float, vocab: int, dim: int, workers: int, sync_words: float) -> tuple[int, float]:
    """Rounds per epoch and bytes through the client per epoch (W and C, up and down)."""
    rounds = max(1, math.ceil(tokens / (workers * sync_words)))
    rows = sum(tier(r, vocab) for r in range(1, rounds)) + vocab
    return rounds, 2 * 2 * workers * rows * dim * 4


def speedup(args, workers: int) -> dict:
    rounds, nbytes = epoch(args.tokens, args.vocab, args.dim, workers, args.sync_words)
    compute = args.tokens / (workers * args.rate)  # seconds of training per epoch, all workers in parallel
    network = nbytes / (args.bandwidth_gbit * 1e9 / 8)
    seconds = compute + network + rounds * args.overhead
    one = args.tokens / args.rate
    return {
        "workers": workers,
        "rounds": rounds,
        "MiB/epoch": nbytes / 2**20,
        "compute s": compute,
        "network s": network,
        "overhead s": rounds * args.overhead,
        "speed-up": one / seconds,
        "efficiency": one / seconds / workers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=float, default=16_415_839, help="tokens per epoch (the shared corpus)")
    parser.add_argument("--vocab", type=int, default=70_265)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--rate", type=float, default=6e5, help="words/s of one single-threaded worker")
    parser.add_argument("--sync-words", type=float, default=1e5)
    parser.add_argument("--bandwidth-gbit", type=float, default=10.0, help="the client's link")
    parser.add_argument("--overhead", type=float, default=0.016, help="fixed seconds per round")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 8, 32])
    args = parser.parse_args()
    rows = [speedup(args, n) for n in args.workers]
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + " --- |" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" for v in row.values()) + " |")


if __name__ == "__main__":
    main()
