"""word2vec against gensim: the settings and one run of each tool (used by ``bench_suite.py``).

Each model (sgns, cbow, sg-hs, cbow-hs) is trained by embedkit and by gensim Word2Vec at identical
settings (dim 100, window 5, min_count 5, sample 1e-3, negative 5 or hierarchical softmax, the
model's alpha, same epochs and threads) on the same plain-text corpus (gensim in ``corpus_file``
mode). Each run starts from the text: embedkit's timing includes counting and encoding (a fresh
cache), gensim's its vocabulary scan. ``bench_suite.py`` runs them alternately, each in a fresh
process, so the peak RSS (the process's own VmHWM) is per run; ``make bench-word2vec`` runs only
these rows of the suite.
"""

from __future__ import annotations

import tempfile
import time

from _benchutil import peak_rss_mb

SETTINGS = {"dim": 100, "window": 5, "min_count": 5, "sample": 1e-3}
#: model -> (embedkit Word2VecConfig fields, gensim Word2Vec arguments), beyond SETTINGS
MODELS = {
    "sgns": (
        {"architecture": "skipgram", "loss": "ns", "negative": 5, "alpha": 0.025},
        {"sg": 1, "hs": 0, "negative": 5, "alpha": 0.025},
    ),
    "cbow": (
        {"architecture": "cbow", "loss": "ns", "negative": 5, "alpha": 0.05, "cbow_mean": True},
        {"sg": 0, "hs": 0, "negative": 5, "alpha": 0.05, "cbow_mean": 1},
    ),
    "sg-hs": (
        {"architecture": "skipgram", "loss": "hs", "alpha": 0.025},
        {"sg": 1, "hs": 1, "negative": 0, "alpha": 0.025},
    ),
    "cbow-hs": (
        {"architecture": "cbow", "loss": "hs", "alpha": 0.05, "cbow_mean": True},
        {"sg": 0, "hs": 1, "negative": 0, "alpha": 0.05, "cbow_mean": 1},
    ),
}


def settings(model: str, tool: str, epochs: int, threads: int, seed: int) -> dict:
    """The exact settings of one run: SETTINGS plus the tool's own arguments for ``model``."""
    own = MODELS[model][0 if tool == "embedkit" else 1]
    return {**SETTINGS, **own, "epochs": epochs, "threads": threads, "seed": seed}


def run_embedkit(model: str, corpus: str, out: str, epochs: int, threads: int, seed: int) -> dict:
    """Train ``model`` from the text (fresh cache), save word2vec binary ``out``; times, token count, VmHWM."""
    from embedkit.config import Word2VecConfig
    from embedkit.encode import prepare_corpus
    from embedkit.vocab import VocabOptions

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        prepared = prepare_corpus(
            [corpus], vocab_options=VocabOptions(min_count=SETTINGS["min_count"]), cache_dir=cache
        )
        from embedkit.models.word2vec import train_word2vec

        config = Word2VecConfig(
            dim=SETTINGS["dim"],
            window=SETTINGS["window"],
            sample=SETTINGS["sample"],
            epochs=epochs,
            threads=threads,
            seed=seed,
            **MODELS[model][0],
        )
        embeddings, report = train_word2vec(prepared, config, progress=False)
        embeddings.save(out)
    return {
        "wall_s": time.perf_counter() - started,
        "train_s": report.seconds,
        "corpus_words": prepared.encoded.n_tokens,
        "vocab": len(embeddings),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_gensim(model: str, corpus: str, out: str, epochs: int, threads: int, seed: int) -> dict:
    """gensim Word2Vec in ``corpus_file`` mode at the same settings, saved as word2vec binary ``out``."""
    from gensim.models import Word2Vec

    started = time.perf_counter()
    trained = Word2Vec(
        corpus_file=corpus,
        vector_size=SETTINGS["dim"],
        window=SETTINGS["window"],
        min_count=SETTINGS["min_count"],
        sample=SETTINGS["sample"],
        epochs=epochs,
        workers=threads,
        seed=seed,
        **MODELS[model][1],
    )
    trained.wv.save_word2vec_format(out, binary=True)
    return {
        "wall_s": time.perf_counter() - started,
        "train_s": trained.total_train_time,
        "vocab": len(trained.wv),
        "peak_rss_mb": peak_rss_mb(),
    }


#: tool -> its run function
RUNNERS = {"embedkit": run_embedkit, "gensim": run_gensim}
