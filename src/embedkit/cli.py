"""The ``embedkit`` command line: a thin shell over the library.

Every command calls one library function. User errors (:class:`embedkit.errors.EmbedkitError`)
print ``Error: <message>`` and exit 1; usage errors exit 2; ``--debug`` shows tracebacks.

Which vectors the query commands read: ``--vectors PATH``, else ``$EMBEDKIT_VECTORS``, else
``vectors.bin`` in the current directory — the file ``embedkit train`` writes by default.
"""

from __future__ import annotations

import functools
import json
from dataclasses import fields
from pathlib import Path

import click

from . import __version__
from .config import (
    IDF_MODES,
    LOSSES,
    VECTORS_OUT,
    GloveConfig,
    LSAConfig,
    PPMIConfig,
    Word2VecConfig,
    config_from_options,
    load_toml,
)
from .corpus import ENCODING_ERRORS, TOKENIZERS, Corpus, CorpusOptions, CorpusStats
from .datasets import DATASETS, dataset_path
from .encode import prepare_corpus
from .errors import ConfigError, EmbedkitError
from .vectors import ANALOGY_METHODS, Embeddings
from .vocab import VocabOptions, Vocabulary

DEFAULT_VECTORS = "vectors.bin"
#: --model name -> word2vec architecture
WORD2VEC_MODELS = {"sgns": "skipgram", "cbow": "cbow"}
#: --model name -> config class of the other models
COUNT_MODELS = {"glove": GloveConfig, "ppmi": PPMIConfig, "lsa": LSAConfig}
MODELS = (*WORD2VEC_MODELS, *COUNT_MODELS)
#: ``train`` options that are model hyper-parameters (None when not given).
HYPER_PARAMETERS = (
    "dim", "window", "negative", "ns_exponent", "sample", "alpha", "min_alpha", "cbow_mean", "vectors_out",
    "epochs", "threads", "seed", "x_max", "weight_exponent", "grad_clip", "memory", "symmetric",
    "distance_weighting", "cds", "neg", "eig", "doc_window", "stopwords", "sublinear_tf", "idf",
)
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "show_default": True}


class EmbedkitGroup(click.Group):
    """Turns library errors into one-line messages unless ``--debug`` is given."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EmbedkitError as exc:
            if ctx.meta.get("embedkit.debug"):
                raise
            raise click.ClickException(str(exc)) from None


@click.group(cls=EmbedkitGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="embedkit")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Train, query and evaluate static word embeddings."""
    ctx.meta["embedkit.debug"] = debug


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="embedkit")


# ----------------------------------------------------------------------------- config files


def _load_config(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Eager ``--config`` callback: fill ``ctx.default_map`` from a TOML file."""
    if value is None:
        return
    try:
        table = load_toml(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    known = {p.name for p in ctx.command.params if p.name not in ("config", "corpus")}
    unknown = sorted(set(table) - known)
    if unknown:
        raise click.BadParameter(f"{value}: unknown key(s): {', '.join(unknown)}", ctx=ctx, param=param)
    ctx.default_map = {**(ctx.default_map or {}), **table}


def vectors_option(command):
    """``--vectors PATH`` with the ``$EMBEDKIT_VECTORS`` / ``vectors.bin`` fallback."""
    return click.option(
        "--vectors",
        "vectors_path",
        envvar="EMBEDKIT_VECTORS",
        default=DEFAULT_VECTORS,
        metavar="PATH",
        help="Vectors file (word2vec text/binary, GloVe, fastText .vec); env EMBEDKIT_VECTORS.",
    )(command)


def _load_vectors(path: str) -> Embeddings:
    if not Path(path).exists():
        hint = " (train first: embedkit train CORPUS)" if path == DEFAULT_VECTORS else ""
        raise EmbedkitError(f"vectors file not found: {path}{hint}; pass --vectors PATH")
    return Embeddings.load(path)


def _print_neighbours(pairs: list[tuple[str, float]]) -> None:
    for word, score in pairs:
        click.echo(f"{word}\t{score:.4f}")


def _stderr(message: str) -> None:
    click.echo(message, err=True)


# ----------------------------------------------------------------------------- corpus options


def corpus_options(command):
    """Options shared by every command that reads a corpus."""
    decorators = [
        click.argument("corpus", nargs=-1, required=True, type=click.Path()),
        click.option("--tokenizer", type=click.Choice(TOKENIZERS), default="whitespace", help="Token splitting."),
        click.option("--lowercase/--no-lowercase", default=False, help="Lower-case tokens."),
        click.option("--max-sentence-length", type=int, default=10_000, help="Split longer lines (tokens)."),
        click.option("--encoding-errors", type=click.Choice(ENCODING_ERRORS), default="replace",
                      help="Policy for invalid UTF-8 bytes."),
        click.option("--min-count", type=int, default=5, help="Drop words rarer than this."),
        click.option("--max-vocab", type=int, default=None, help="Keep at most this many words."),
    ]
    return functools.reduce(lambda cmd, deco: deco(cmd), reversed(decorators), command)


def _corpus_and_vocab_options(params: dict) -> tuple[CorpusOptions, VocabOptions]:
    return (
        CorpusOptions(params["tokenizer"], params["lowercase"], params["max_sentence_length"], params["encoding_errors"]),
        VocabOptions(params["min_count"], params["max_vocab"]),
    )


# ----------------------------------------------------------------------------- train / vocab


def cooccurrence_options(command):
    """Co-occurrence window options shared by ``train`` (count models) and ``cooccur``."""
    decorators = [
        click.option("--symmetric/--asymmetric", "symmetric", default=None,
                      help="Count context on both sides or the left only [symmetric]."),
        click.option("--distance-weighting/--no-distance-weighting", default=None,
                      help="Weight a co-occurrence at distance d by 1/d [on for glove]."),
        click.option("--memory", type=float, default=None,
                      help="Memory budget in GiB for co-occurrence counting and GloVe's cells [4]."),
    ]
    return functools.reduce(lambda cmd, deco: deco(cmd), reversed(decorators), command)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--config", type=click.Path(dir_okay=False), is_eager=True, expose_value=False,
              callback=_load_config, help="TOML file of option values (flags override it).")
@click.option("--model", type=click.Choice(MODELS), default="sgns", help="Model family.")
@click.option("--loss", type=click.Choice(LOSSES), default="ns",
              help="Negative sampling or hierarchical softmax (word2vec models).")
@corpus_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=DEFAULT_VECTORS,
              help="Vectors file; .txt/.vec -> word2vec text, otherwise binary.")
@click.option("--dim", type=int, default=None, help="Vector dimension [100].")
@click.option("--window", type=int, default=None, help="Maximum context distance [5; glove 10].")
@click.option("--negative", type=int, default=None, help="Noise words per positive pair [5].")
@click.option("--ns-exponent", type=float, default=None, help="Noise distribution exponent [0.75].")
@click.option("--sample", type=float, default=None, help="Subsampling threshold [1e-3].")
@click.option("--alpha", type=float, default=None,
              help="Initial learning rate [0.025 sgns, 0.05 cbow, 0.05 glove (glove.c's -eta)].")
@click.option("--min-alpha", type=float, default=None, help="Final learning rate [alpha*1e-4].")
@click.option("--cbow-mean/--cbow-sum", default=None, help="CBOW input: mean or sum of the context [mean].")
@click.option("--x-max", type=float, default=None, help="GloVe weighting cut-off x_max [100].")
@click.option("--weight-exponent", type=float, default=None,
              help="GloVe weighting exponent, f(x) = (x/x_max)^e (glove.c's -alpha) [0.75].")
@click.option("--grad-clip", type=float, default=None, help="GloVe gradient component bound [100].")
@cooccurrence_options
@click.option("--cds", type=float, default=None, help="PPMI context-distribution smoothing exponent [0.75].")
@click.option("--neg", type=int, default=None, help="PPMI shift: subtract log(neg) before clipping [1].")
@click.option("--eig", type=float, default=None, help="Eigenvalue weighting p of U*S^p [ppmi 0.5, lsa 1].")
@click.option("--doc-window", type=int, default=None, help="LSA documents: 0 = lines, N = blocks of N tokens [0].")
@click.option("--stopwords", default=None, metavar="none|english|FILE", help="LSA stopwords removed [english].")
@click.option("--sublinear-tf/--raw-tf", "sublinear_tf", default=None, help="LSA term frequency 1+log(tf) or tf [sublinear].")
@click.option("--idf", type=click.Choice(IDF_MODES), default=None, help="LSA inverse document frequency [smooth].")
@click.option("--vectors-out", type=click.Choice(VECTORS_OUT), default=None,
              help="Write W (input), W + C (sum) or [W, C] (concat) [input; glove sum].")
@click.option("--epochs", "--iter", "epochs", type=int, default=None,
              help="Passes over the corpus, or GloVe iterations [5; glove 15].")
@click.option("--threads", type=int, default=None, help="Worker threads, 0 = all cores [0].")
@click.option("--seed", type=int, default=None, help="Random seed [1].")
@click.option("--save-vocab", type=click.Path(dir_okay=False), default=None, help="Also write the vocabulary.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Encoded-corpus cache [$EMBEDKIT_CACHE_DIR or ~/.cache/embedkit].")
@click.option("--no-cache", is_flag=True, help="Do not read or write the encoded-corpus cache.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or notes; only the summary.")
def train(**params) -> None:
    """Train embeddings on CORPUS (files or directories; .gz/.bz2/.xz read directly).

    \b
    Examples:  embedkit train --model sgns corpus.txt
               embedkit train --model glove --x-max 10 --iter 15 corpus.txt
               embedkit train --model ppmi --window 5 --eig 0.5 corpus.txt
    """
    config = _model_config(params)
    for target in filter(None, (params["output"], params["save_vocab"])):
        if not Path(target).resolve().parent.is_dir():
            raise EmbedkitError(f"cannot write {target}: its directory does not exist")
    log = (lambda message: None) if params["quiet"] else _stderr
    prepared = _prepare(params, log)
    if params["save_vocab"]:
        prepared.vocab.save(params["save_vocab"])
    # Trainers are imported here: numba (~150 MB resident) loads only after the corpus pass,
    # and not at all for the query commands.
    use_cache, progress = not params["no_cache"], not params["quiet"]
    if isinstance(config, GloveConfig):
        from .models.glove import train_glove

        embeddings, report = train_glove(prepared, config, use_cache=use_cache, progress=progress, log=log)
        summary = report.summary(embeddings)
    elif isinstance(config, PPMIConfig):
        from .models.count import train_ppmi

        embeddings, report = train_ppmi(prepared, config, use_cache=use_cache, progress=progress, log=log)
        summary = report.summary(embeddings)
    elif isinstance(config, LSAConfig):
        from .models.count import train_lsa

        embeddings, report = train_lsa(prepared, config, log=log)
        summary = report.summary(embeddings)
    else:
        from .models.word2vec import train_word2vec

        embeddings, report = train_word2vec(prepared, config, progress=not params["quiet"], log=log)
        summary = report.summary(config.name, embeddings)
    embeddings.save(params["output"])
    click.echo(f"{summary}; wrote {params['output']}")


def _model_config(params: dict):
    """The typed config of ``--model``; a hyper-parameter the model does not have is a usage error."""
    model = params["model"]
    if model in COUNT_MODELS:
        cls, options = COUNT_MODELS[model], params
    else:
        cls, options = Word2VecConfig, {**params, "architecture": WORD2VEC_MODELS[model]}
    known = {f.name for f in fields(cls)}
    foreign = [name for name in HYPER_PARAMETERS if params.get(name) is not None and name not in known]
    if foreign:
        flags = ", ".join("--" + name.replace("_", "-") for name in foreign)
        raise click.UsageError(f"{flags} {'does' if len(foreign) == 1 else 'do'} not apply to --model {model}")
    return config_from_options(cls, options)


def _prepare(params: dict, log):
    prepared = prepare_corpus(
        params["corpus"], *_corpus_and_vocab_options(params),
        cache_dir=params["cache_dir"], use_cache=not params["no_cache"], log=log,
    )
    for warning in _reading_warnings(prepared.stats):
        _stderr(f"warning: {warning}")
    return prepared


@cli.command(context_settings=CONTEXT_SETTINGS)
@corpus_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="SciPy COO .npz file (scipy.sparse.load_npz reads it; 'words' holds the vocabulary).")
@click.option("--window", type=click.IntRange(1, 255), default=10, help="Maximum context distance.")
@cooccurrence_options
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Encoded-corpus cache [$EMBEDKIT_CACHE_DIR or ~/.cache/embedkit].")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or notes; only the summary.")
def cooccur(**params) -> None:
    """Count the word-word co-occurrence matrix of CORPUS (GloVe's cooccur; cached for training)."""
    from .cooccur import CooccurrenceOptions, cooccurrences_for

    if not Path(params["output"]).resolve().parent.is_dir():
        raise EmbedkitError(f"cannot write {params['output']}: its directory does not exist")
    log = (lambda message: None) if params["quiet"] else _stderr
    prepared = _prepare(params, log)
    options = CooccurrenceOptions(
        params["window"],
        True if params["symmetric"] is None else params["symmetric"],
        True if params["distance_weighting"] is None else params["distance_weighting"],
    )
    memory = 4.0 if params["memory"] is None else params["memory"]
    matrix = cooccurrences_for(prepared, options, memory, use_cache=not params["no_cache"],
                               progress=not params["quiet"], log=log)
    matrix.save_npz(params["output"], prepared.vocab.words)
    click.echo(f"{matrix.nnz:,} nonzero co-occurrences of {matrix.n_words:,} words; wrote {params['output']}")


def _reading_warnings(stats: dict) -> list[str]:
    """Notes on what reading changed, from corpus stats (a dict, as cached) and pruning."""
    known = {f.name for f in fields(CorpusStats)}
    notes = CorpusStats(**{k: v for k, v in stats.items() if k in known}).warnings()
    if stats.get("pruned_below"):
        notes.append(f"vocabulary pruned while counting: counts of words below {stats['pruned_below']} are lower bounds")
    return notes


@cli.command(context_settings=CONTEXT_SETTINGS)
@corpus_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Vocabulary file.")
def vocab(**params) -> None:
    """Count CORPUS and write its vocabulary as 'word count' lines (word2vec.c -save-vocab)."""
    corpus_opts, vocab_opts = _corpus_and_vocab_options(params)
    corpus = Corpus(params["corpus"], corpus_opts)
    built = Vocabulary.build(corpus, vocab_opts)
    built.save(params["output"])
    for warning in _reading_warnings({**vars(corpus.stats), "pruned_below": built.pruned_below}):
        _stderr(f"warning: {warning}")
    click.echo(f"{len(built):,} words ({built.total_words:,} of {corpus.stats.tokens:,} tokens); wrote {params['output']}")


# ----------------------------------------------------------------------------- queries


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("word")
@click.option("-n", "--topn", type=click.IntRange(min=1), default=10, help="Number of neighbours.")
@vectors_option
def similar(word: str, topn: int, vectors_path: str) -> None:
    """Nearest neighbours of WORD by cosine similarity."""
    _print_neighbours(_load_vectors(vectors_path).most_similar([word], topn=topn))


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("word1")
@click.argument("word2")
@vectors_option
def similarity(word1: str, word2: str, vectors_path: str) -> None:
    """Cosine similarity of WORD1 and WORD2."""
    click.echo(f"{_load_vectors(vectors_path).similarity(word1, word2):.4f}")


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("-n", "--topn", type=click.IntRange(min=1), default=10, help="Number of answers.")
@click.option("--method", type=click.Choice(ANALOGY_METHODS), default="3cosadd", help="Analogy objective.")
@vectors_option
def analogy(a: str, b: str, c: str, topn: int, method: str, vectors_path: str) -> None:
    """Words closest to A - B + C (king man woman -> queen)."""
    _print_neighbours(_load_vectors(vectors_path).analogy(a, b, c, topn=topn, method=method))


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name", required=False, type=click.Choice(list(DATASETS)))
@click.option("--dataset", "dataset_file", type=click.Path(dir_okay=False), default=None,
              help="Any similarity (w1 w2 score) or analogy (': section' + a b c d) file.")
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=None,
              help="Use the N most frequent words [similarity 300000, analogy 30000].")
@click.option("--method", type=click.Choice(ANALOGY_METHODS), default="3cosadd", help="Analogy objective.")
@click.option("--case-sensitive", is_flag=True, help="Match words exactly instead of case-folded.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@vectors_option
def evaluate(name, dataset_file, restrict_vocab, method, case_sensitive, as_json, vectors_path) -> None:
    """Score vectors on a word-similarity or analogy dataset.

    \b
    NAME is one of the shipped sets: wordsim353, simlex999, google-analogy.
    """
    from .evaluate import evaluate_analogy, evaluate_similarity, guess_kind  # scipy: only here

    if (name is None) == (dataset_file is None):
        raise click.UsageError("give a dataset NAME or --dataset PATH (exactly one)")
    if name is not None:
        kind, path = dataset_path(name)
    else:
        path, kind, name = Path(dataset_file), guess_kind(dataset_file), Path(dataset_file).stem
    embeddings = _load_vectors(vectors_path)
    extra = {} if restrict_vocab is None else {"restrict_vocab": restrict_vocab}
    if kind == "similarity":
        result = evaluate_similarity(embeddings, path, name, case_insensitive=not case_sensitive, **extra)
    else:
        result = evaluate_analogy(embeddings, path, name, method=method, case_insensitive=not case_sensitive, **extra)
    if as_json:
        payload = {**vars(result)}
        if kind == "analogy":
            payload.update(accuracy=result.accuracy, semantic_accuracy=result.semantic_accuracy,
                           syntactic_accuracy=result.syntactic_accuracy)
        click.echo(json.dumps(payload))
    else:
        click.echo(result.summary())
