"""Phrases on the shared corpus, then SGNS on the phrased text: phrase and word analogies.

1. ``detect_phrases`` with word2phrase's demo settings (two passes, thresholds 200 then 100,
   min_count 5), timed; the rank of ``new_york``, ``united_states`` and ``los_angeles`` among
   pass 1's phrases by count.
2. SGNS (word2vec.c defaults: dim 100, window 5, negative 5, sample 1e-3, 5 epochs, 2 threads)
   on the phrased text.
3. The phrase analogy set (Mikolov et al. 2013b, ``questions-phrases.txt``, mixed case, matched
   case-insensitively as compute-accuracy does) within the 30,000 most frequent words and over
   the whole vocabulary, next to the Google word analogies of the same vectors.

    python scripts/bench_phrases.py [--corpus PATH] [--out bench]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _benchutil import DEFAULT_CORPUS, checked_paths, machine, peak_rss_mb, versions, write_text
from embedkit.config import Word2VecConfig
from embedkit.datasets import dataset_path
from embedkit.encode import prepare_corpus
from embedkit.evaluate import evaluate_analogy
from embedkit.models.word2vec import train_word2vec
from embedkit.phrases import PhraseOptions, detect_phrases

PHRASE_ANALOGIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "analogy" / "questions-phrases.txt"
WATCHED = ("new_york", "united_states", "los_angeles")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--out", default="bench")
    args = parser.parse_args()
    corpus, results = checked_paths(args.corpus, args.out)
    options = PhraseOptions(thresholds=(200.0, 100.0), passes=2)
    with tempfile.TemporaryDirectory() as work:
        phrased = Path(work) / "phrased.txt"
        started = time.perf_counter()
        passes = detect_phrases([corpus], phrased, options, use_cache=False)
        phrase_seconds = time.perf_counter() - started
        first, threshold, _ = passes[0]
        ranked = [text for text, _, _ in first.top(len(first.count), threshold)]
        ranks = {p: (ranked.index(p) + 1 if p in ranked else None) for p in WATCHED}
        prepared = prepare_corpus([phrased], use_cache=False)
        config = Word2VecConfig(threads=2)
        embeddings, report = train_word2vec(prepared, config, progress=False)
    whole = len(embeddings)
    phrase_30k = evaluate_analogy(embeddings, PHRASE_ANALOGIES, "phrases")
    phrase_all = evaluate_analogy(embeddings, PHRASE_ANALOGIES, "phrases", restrict_vocab=whole)
    words = evaluate_analogy(embeddings, dataset_path("google-analogy")[1])
    payload = {
        "phrase_options": {"thresholds": options.thresholds, "passes": options.passes, "min_count": options.min_count},
        "phrase_seconds": phrase_seconds,
        "joined_per_pass": [n for _, _, n in passes],
        "pass1_rank_by_count": ranks,
        "sgns": {"config": "word2vec.c defaults, 2 threads", "train_s": report.seconds, "vocab": whole},
        "phrase_analogy_30k": {"correct": phrase_30k.correct, "questions": phrase_30k.questions},
        "phrase_analogy_all": {"correct": phrase_all.correct, "questions": phrase_all.questions},
        "word_analogy_30k": {"accuracy": words.accuracy, "questions": words.questions},
        "peak_rss_mb": peak_rss_mb(),
        "machine": machine(),
        "versions": versions(),
    }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    write_text(results / f"phrases-{stamp}.json", json.dumps(payload, indent=1) + "\n")
    print(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
