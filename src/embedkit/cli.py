"""The ``embedkit`` command line: a thin shell over the library.

Every command calls one library function. User errors (:class:`embedkit.errors.EmbedkitError`)
print ``Error: <message>`` and exit 1; usage errors exit 2; ``--debug`` shows tracebacks.

Which vectors the query commands read: ``--vectors PATH``, else ``$EMBEDKIT_VECTORS``, else
``vectors.bin`` in the current directory — the file ``embedkit train`` writes by default.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import sys
import warnings
from dataclasses import fields
from pathlib import Path

import click
import numpy as np

from . import __version__, training
from .bias import PERMUTATIONS_RANGE, SEED_RANGE
from .config import (
    DEFAULT_MEMORY_GIB,
    IDF_MODES,
    LOSSES,
    VECTORS_OUT,
    check_memory_gib,
    config_from_options,
    config_path,
    flagged_fields,
    load_toml,
    packaged_configs,
)
from .corpus import ENCODING_ERRORS, TOKENIZERS, Corpus, CorpusOptions
from .datasets import DATA_ENV, DATASETS, dataset_path, locate
from .encode import prepare_corpus
from .errors import ConfigError, EmbedkitError, Interrupted, StorageError, describe_os_error
from .files import check_free_space, check_output_path, scratch_directory
from .io import FORMATS, format_for_path, native_words_path, replace_whitespace
from .model import Checkpointer, Model, is_model_directory, parse_every
from .phrases import SCORINGS as PHRASE_SCORINGS
from .plot import SIDE_RANGE as PLOT_SIDE_RANGE
from .projector import projector_paths, write_projector
from .signals import handle_signals, interrupted_message, interruption_behind, stage
from .vectors import ANALOGY_METHODS, Embeddings
from .vocab import VocabOptions, Vocabulary

DEFAULT_VECTORS = "vectors.bin"
#: Config fields of some model: the ``train`` options of these names are hyper-parameters (None
#: when not given), checked against the fields of the chosen model's config.
CONFIG_FIELDS = frozenset(f.name for t in training.TRAINERS.values() for f in fields(t.config))
#: Options renamed: old name -> new name (the old flag is a usage error naming the new one).
RENAMED_OPTIONS = {"neg": "ppmi_shift"}
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "show_default": True}


class EmbedkitGroup(click.Group):
    """The error boundary: library errors become one-line messages unless ``--debug`` is given.

    :class:`EmbedkitError` prints its message; an ``OSError`` that escaped translation prints the
    file and the reason; ``MemoryError`` says what to lower. numpy/scipy ``RuntimeWarning`` s are
    silenced here as a last resort (the code avoids them at the source).
    """

    def invoke(self, ctx: click.Context):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return super().invoke(ctx)
        except (EmbedkitError, OSError, MemoryError) as exc:
            if ctx.meta.get("embedkit.debug"):
                raise
            raise click.ClickException(_error_message(exc)) from None


def _error_message(exc: BaseException) -> str:
    """The one line for ``exc``; newlines inside it (a path can hold one) are shown as ``\\n``."""
    if isinstance(exc, OSError):
        # The file-system errors of embedkit's own files are translated with their names where they
        # happen; one without a name comes from writing the results to standard output.
        where = f"{exc.filename}: " if exc.filename else "cannot write to standard output: "
        message = f"{where}{describe_os_error(exc)}"
    elif isinstance(exc, MemoryError):
        message = "out of memory; lower --dim, the vocabulary (--min-count, --max-vocab) or --memory"
    else:
        message = str(exc)
    return message.replace("\r", "\\r").replace("\n", "\\n")


@click.group(cls=EmbedkitGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="embedkit")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Train, query and evaluate static word embeddings."""
    ctx.meta["embedkit.debug"] = debug


def main() -> None:
    """Console-script entry point: SIGINT, SIGTERM and SIGHUP end the run cleanly, exit 128 + signal."""
    with handle_signals():
        try:
            cli(prog_name="embedkit")
        except Exception as exc:  # a signal can surface wrapped (see signals.interruption_behind)
            interrupted = interruption_behind(exc)
            if interrupted is None:
                raise
            _exit_interrupted(interrupted)
        except Interrupted as exc:
            _exit_interrupted(exc)


def _exit_interrupted(exc: Interrupted) -> None:
    click.echo(f"Error: {interrupted_message(exc)}", err=True)
    sys.exit(exc.exit_code)


# ----------------------------------------------------------------------------- config files


def _load_config(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Eager ``--config`` callback: fill ``ctx.default_map`` from a TOML file."""
    if value is None:
        return
    try:
        value = str(config_path(value))
        table = load_toml(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    params = {p.name: p for p in ctx.command.params if p.name not in ("config", "corpus")}
    renamed = sorted(set(table) & set(RENAMED_OPTIONS))
    if renamed:
        raise click.BadParameter(
            f"{value}: {', '.join(f'{k} was renamed {RENAMED_OPTIONS[k]}' for k in renamed)}", ctx=ctx, param=param
        )
    unknown = sorted(set(table) - set(params))
    if unknown:
        raise click.BadParameter(f"{value}: unknown key(s): {', '.join(unknown)}", ctx=ctx, param=param)
    for key, item in table.items():
        problem = _toml_type_problem(params[key], item)
        if problem:
            raise click.BadParameter(f"{value}: {key} = {item!r}: {problem}", ctx=ctx, param=param)
    ctx.default_map = {**(ctx.default_map or {}), **table}
    ctx.meta["embedkit.config"] = (value, table)


def _toml_type_problem(param: click.Parameter, value) -> str | None:
    """Why a TOML value cannot stand for ``param`` (click would coerce ``true`` or ``20.7`` to an int)."""
    kind = param.type
    if isinstance(param, click.Option) and (param.is_flag or param.is_bool_flag):
        return None if isinstance(value, bool) else "expected true or false"
    if isinstance(kind, click.types.IntParamType):
        expected, ok = "an integer", isinstance(value, int)
    elif isinstance(kind, click.types.FloatParamType):
        expected, ok = "a number", isinstance(value, (int, float))
    else:
        expected, ok = "a string", isinstance(value, str)
    return None if ok and not isinstance(value, bool) else f"expected {expected}"


def vectors_option(command):
    """``--vectors PATH`` with the ``$EMBEDKIT_VECTORS`` / ``vectors.bin`` fallback, and the
    :func:`loading_options`."""
    return click.option(
        "--vectors",
        "vectors_path",
        envvar="EMBEDKIT_VECTORS",
        default=DEFAULT_VECTORS,
        metavar="PATH",
        help="Vectors file (word2vec text/binary, GloVe, fastText .vec or .bin, native .npy); env EMBEDKIT_VECTORS.",
    )(loading_options(command))


def loading_options(command):
    """``--allow-nonfinite``, ``--limit N`` and ``--oov``: kept in ``ctx.meta`` for
    :func:`_load_vectors` (commands do not take them)."""
    command = click.option(
        "--oov",
        type=click.Choice(["subwords", "skip"]),
        default="subwords",
        expose_value=False,
        callback=lambda ctx, param, value: ctx.meta.__setitem__("embedkit.oov", value),
        help="Words outside the vocabulary: vectors from their character n-grams (subword models, "
        "fastText .bin) or unknown.",
    )(command)
    command = click.option(
        "--limit",
        type=click.IntRange(min=1),
        expose_value=False,
        callback=lambda ctx, param, value: ctx.meta.__setitem__("embedkit.limit", value),
        metavar="N",
        help="Load only the first N vectors (the N most frequent words; gensim's limit).",
    )(command)
    return click.option(
        "--allow-nonfinite",
        is_flag=True,
        expose_value=False,
        callback=lambda ctx, param, value: ctx.meta.__setitem__("embedkit.allow_nonfinite", value),
        help="Load vectors with NaN/Inf values (those words are then similar to nothing).",
    )(command)


def neighbours_option(command):
    """``--exact``: scan every row even when a neighbour index (``VECTORS.ann``) is present."""
    return click.option(
        "--exact",
        is_flag=True,
        expose_value=False,
        callback=lambda ctx, param, value: ctx.meta.__setitem__("embedkit.exact", value),
        help="Scan all vectors; ignore the neighbour index VECTORS.ann built by 'embedkit index'.",
    )(vectors_option(command))


def data_dir_option(help_text: str):
    """``--data-dir DIR`` (or ``$EMBEDKIT_DATA``): where the non-shipped evaluation sets are."""
    return click.option(
        "--data-dir",
        type=click.Path(exists=True, file_okay=False),
        default=None,
        envvar=DATA_ENV,
        help=f"{help_text}; env {DATA_ENV}.",
    )


def _load_searchable(path: str) -> Embeddings:
    """:func:`_load_vectors`, with the neighbour index attached when one is present and fits
    (a note says which; a stale or unusable index is named and skipped)."""
    from .ann import index_path, load_index

    embeddings = _load_vectors(path)
    index = index_path(path)
    if click.get_current_context().meta.get("embedkit.exact") or not index.exists():
        return embeddings
    try:
        embeddings.neighbour_index = load_index(index, path, len(embeddings), embeddings.dim)
    except EmbedkitError as exc:
        _stderr(f"note: exact search; {exc}")
        return embeddings
    _stderr(f"note: approximate neighbours from {index} (exact cosines; --exact to scan every vector)")
    return embeddings


def _load_vectors(path: str, fmt: str = "auto") -> Embeddings:
    try:
        os.lstat(path)
    except FileNotFoundError:
        hint = " (train first: embedkit train CORPUS)" if path == DEFAULT_VECTORS else ""
        raise EmbedkitError(f"vectors file not found: {path}{hint}; pass --vectors PATH") from None
    except OSError:
        pass  # the reader says what is wrong
    meta = click.get_current_context().meta
    return Embeddings.load(
        path,
        fmt,
        allow_nonfinite=meta.get("embedkit.allow_nonfinite", False),
        limit=meta.get("embedkit.limit"),
        subwords=meta.get("embedkit.oov", "subwords") == "subwords",
    )


def _check_vectors_output(target: str, fmt: str, inputs: list) -> None:
    """Refuse a vectors output (and, for the native format, its word list) before any work."""
    check_output_path(target, inputs)
    if fmt == "native":
        check_output_path(native_words_path(target), inputs, what="word list")


def _note_subword_words(embeddings: Embeddings, words) -> None:
    """Say on stderr which query words take their vector from their character n-grams."""
    if embeddings.subwords is None:
        return
    outside = [w for w in dict.fromkeys(words) if w not in embeddings]
    if outside:
        listed = ", ".join(map(repr, outside))
        _stderr(f"note: {listed} not in the vocabulary: vector from character n-grams (--oov skip to refuse)")


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
        click.option(
            "--encoding-errors",
            type=click.Choice(ENCODING_ERRORS),
            default="replace",
            help="Policy for invalid UTF-8 bytes.",
        ),
        click.option("--min-count", type=int, default=5, help="Drop words rarer than this."),
        click.option("--max-vocab", type=int, default=None, help="Keep at most this many words."),
    ]
    return functools.reduce(lambda cmd, deco: deco(cmd), reversed(decorators), command)


def _cluster_spec(ctx, param, value):
    from .cluster import ClusterSpec

    try:
        return None if value is None else ClusterSpec.parse(value)
    except EmbedkitError as exc:
        raise click.BadParameter(str(exc)) from None


cluster_option = click.option(
    "--cluster",
    metavar="local[:N]|tcp://HOST:PORT",
    default=None,
    callback=_cluster_spec,
    help="Run on a Dask cluster (embedkit[dask]): N local worker processes, or a running scheduler. "
    "The corpus pass and co-occurrence counting are sharded; word2vec trains a replica per worker, "
    "GloVe a block of the words per worker. "
    "Corpus and cache must be on storage every worker sees.",
)


def _cluster(params: dict, log):
    """A context giving the ``--cluster`` client, or None without the option."""
    if params.get("cluster") is None:
        return contextlib.nullcontext()
    from .cluster import open_cluster

    return open_cluster(params["cluster"], log)


def _corpus_and_vocab_options(params: dict) -> tuple[CorpusOptions, VocabOptions]:
    return (
        CorpusOptions(
            params["tokenizer"], params["lowercase"], params["max_sentence_length"], params["encoding_errors"]
        ),
        VocabOptions(params["min_count"], params["max_vocab"]),
    )


# ----------------------------------------------------------------------------- train / vocab


def cooccurrence_options(command):
    """Co-occurrence window options shared by ``train`` (count models) and ``cooccur``."""
    decorators = [
        click.option(
            "--symmetric/--asymmetric",
            "symmetric",
            default=None,
            help="Count context on both sides or the left only [symmetric].",
        ),
        click.option(
            "--distance-weighting/--no-distance-weighting",
            default=None,
            help="Weight a co-occurrence at distance d by 1/d [on for glove].",
        ),
        click.option(
            "--memory",
            type=float,
            default=None,
            help="Memory budget in GiB for co-occurrence counting and GloVe's cells [4].",
        ),
    ]
    return functools.reduce(lambda cmd, deco: deco(cmd), reversed(decorators), command)


def renamed_options(command):
    """Hidden options under the old names of :data:`RENAMED_OPTIONS`: given (on the command line
    or in a config file), each is a usage error naming the new option."""

    def refuse(ctx: click.Context, param: click.Parameter, value) -> None:
        if value is not None:
            new = RENAMED_OPTIONS[param.name]
            raise click.UsageError(
                f"--{param.name.replace('_', '-')} was renamed --{new.replace('_', '-')} ({new} in config files)",
                ctx=ctx,
            )

    for old in RENAMED_OPTIONS:
        command = click.option(
            f"--{old.replace('_', '-')}", old, default=None, hidden=True, expose_value=False, callback=refuse
        )(command)
    return command


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    is_eager=True,
    expose_value=False,
    callback=_load_config,
    metavar="FILE|NAME",
    help=f"TOML file of option values, or a packaged one by name ({', '.join(packaged_configs())}); flags override it.",
)
@click.option("--model", type=click.Choice(list(training.TRAINERS)), default="sgns", help="Model family.")
@click.option(
    "--loss",
    type=click.Choice(LOSSES),
    default=None,
    help="Negative sampling or hierarchical softmax (word2vec models) [ns].",
)
@corpus_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=DEFAULT_VECTORS,
    help="Vectors file; .txt/.vec -> word2vec text, otherwise binary.",
)
@click.option("--dim", type=int, default=None, help="Vector dimension [100].")
@click.option("--window", type=int, default=None, help="Maximum context distance [5; glove 10].")
@click.option("--negative", type=int, default=None, help="Noise words per positive pair [5].")
@click.option("--ns-exponent", type=float, default=None, help="Noise distribution exponent [0.75].")
@click.option("--sample", type=float, default=None, help="Subsampling threshold [1e-3].")
@click.option(
    "--alpha",
    type=float,
    default=None,
    help="Initial learning rate of sgns and cbow [0.025 sgns, 0.05 cbow] (glove: --eta).",
)
@click.option("--min-alpha", type=float, default=None, help="Final learning rate [alpha*1e-4].")
@click.option("--cbow-mean/--cbow-sum", default=None, help="CBOW input: mean or sum of the context [mean].")
@click.option("--x-max", type=float, default=None, help="GloVe weighting cut-off x_max [100].")
@click.option(
    "--weight-exponent",
    type=float,
    default=None,
    help="GloVe weighting exponent, f(x) = (x/x_max)^e (glove.c's -alpha) [0.75].",
)
@click.option("--eta", type=float, default=None, help="GloVe initial AdaGrad learning rate (glove.c's -eta) [0.05].")
@click.option("--grad-clip", type=float, default=None, help="GloVe gradient component bound [100].")
@cooccurrence_options
@click.option("--cds", type=float, default=None, help="PPMI context-distribution smoothing exponent [0.75].")
@click.option(
    "--ppmi-shift",
    type=int,
    default=None,
    metavar="K",
    help="PPMI shift: subtract log(K) before clipping (SPPMI, Levy et al. 2015) [1].",
)
@renamed_options
@click.option("--eig", type=float, default=None, help="Eigenvalue weighting p of U*S^p [ppmi 0.5, lsa 1].")
@click.option("--doc-window", type=int, default=None, help="LSA documents: 0 = lines, N = blocks of N tokens [0].")
@click.option("--stopwords", default=None, metavar="none|english|FILE", help="LSA stopwords removed [english].")
@click.option(
    "--sublinear-tf/--raw-tf", "sublinear_tf", default=None, help="LSA term frequency 1+log(tf) or tf [sublinear]."
)
@click.option("--idf", type=click.Choice(IDF_MODES), default=None, help="LSA inverse document frequency [smooth].")
@click.option(
    "--vectors-out",
    type=click.Choice(VECTORS_OUT),
    default=None,
    help="Write W (input), W + C (sum) or [W, C] (concat) [input; glove sum].",
)
@click.option(
    "--epochs",
    "--iter",
    "epochs",
    type=int,
    default=None,
    help="Passes over the corpus, or GloVe iterations [5; glove 15].",
)
@click.option("--minn", type=int, default=None, help="Shortest character n-gram of subword models [3].")
@click.option("--maxn", type=int, default=None, help="Longest character n-gram; 0 = no subwords [0; fasttext 6].")
@click.option("--buckets", type=int, default=None, help="Hash buckets of the character n-grams [2000000].")
@click.option("--threads", type=int, default=None, help="Worker threads, 0 = all cores [0].")
@click.option("--seed", type=int, default=None, help="Random seed [1].")
@click.option("--save-vocab", type=click.Path(dir_okay=False), default=None, help="Also write the vocabulary.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Encoded-corpus cache [$EMBEDKIT_CACHE_DIR or ~/.cache/embedkit].",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Keep nothing: work in a private temporary directory under $TMPDIR, removed at exit.",
)
@click.option(
    "--save-model",
    type=click.Path(),
    default=None,
    metavar="DIR",
    help="Also save the model (weights, vocabulary, schedule position) to continue it later.",
)
@click.option(
    "--checkpoint-every",
    default=None,
    metavar="N|Nm",
    help="Save the model to --save-model DIR every N epochs or N minutes (at kernel-call boundaries).",
)
@click.option(
    "--resume",
    type=click.Path(),
    default=None,
    metavar="DIR",
    help="Continue the interrupted run saved in DIR (its options; same CORPUS).",
)
@click.option(
    "--init-from",
    type=click.Path(),
    default=None,
    metavar="DIR",
    help="Continue training the model in DIR on new text CORPUS (vocabulary merged, alpha restarted).",
)
@click.option(
    "--phrases",
    type=click.IntRange(0, 10),
    default=0,
    metavar="N",
    help="First join frequent pairs into phrases (new_york): N word2phrase passes, threshold 100 [0: off].",
)
@cluster_option
@click.option(
    "--sync-words",
    type=click.IntRange(1000, None),
    default=100_000,
    show_default=True,
    metavar="N",
    help="With --cluster, word2vec: words each worker trains between synchronisations.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or notes; only the summary.")
def train(**params) -> None:
    """Train embeddings on CORPUS (files or directories; .gz/.bz2/.xz read directly).

    \b
    Examples:  embedkit train --model sgns corpus.txt
               embedkit train --model fasttext corpus.txt     (subwords: vectors.bin.ngrams)
               embedkit train --model glove --x-max 10 --iter 15 corpus.txt
               embedkit train --model ppmi --window 5 --eig 0.5 corpus.txt
    """
    log = (lambda message: None) if params["quiet"] else _stderr
    model, model_dir = None, params["resume"] or params["save_model"]
    if params["resume"] and params["init_from"]:
        raise click.UsageError("--resume and --init-from exclude each other")
    if params["resume"] or params["init_from"]:
        model = Model.load(params["resume"] or params["init_from"])
        _check_options_from_model(params, model)
        changes = _given(params, _from_model_fields("resume" if params["resume"] else "init_from", model.config))
        if params["resume"]:
            model.config = dataclasses.replace(model.config, **changes)
        config = model.config
    else:
        config = _model_config(params)
    entry = training.trainer_for(config)
    checkpoints = _checkpoint_interval(params, entry)
    with stage("checking the inputs"):
        config_file = click.get_current_context().meta.get("embedkit.config", (None, None))[0]
        inputs = [*Corpus(params["corpus"]).files, *([config_file] if config_file else [])]
        _check_vectors_output(params["output"], format_for_path(params["output"]), inputs)
        if params["save_vocab"]:
            check_output_path(params["save_vocab"], [*inputs, params["output"]], "--save-vocab")
        if params["save_model"]:
            _check_model_output(
                params["save_model"], [*inputs, params["output"], *filter(None, [params["save_vocab"]])]
            )
    with _cluster(params, log) as client:
        with stage("reading the corpus"):
            prepared = _prepare(params, log, model, client)
        if client is not None and not params["no_cache"]:
            _count_cooccurrences_on(client, prepared, config, log, progress=not params["quiet"])
        output_bytes = _output_bytes(prepared.vocab, config)
        check_free_space(params["output"], output_bytes)
        # Trainers are imported from here on: numba (~150 MB resident) loads only after the corpus
        # pass, and not at all for the query commands.
        if model_dir:  # the snapshot holds more than the vectors (the state class says how much)
            check_free_space(
                Path(model_dir) / "CURRENT", output_bytes * entry.state_class().snapshot_factor, "the model"
            )
        use_cache, progress = not params["no_cache"], not params["quiet"]
        on_cluster = {} if client is None else {"cluster": client, "sync_words": params["sync_words"]}
        with stage(f"training {config.name}"):

            def checkpointer(trained):
                return Checkpointer(trained, model_dir, *checkpoints, log=log) if checkpoints else None

            if params["init_from"]:
                embeddings, report = model.train_more(
                    prepared,
                    progress=progress,
                    log=log,
                    checkpoint_factory=checkpointer,
                    use_cache=use_cache,
                    **changes,
                )
            elif model_dir:
                model = model or Model.start(prepared, config, *_corpus_and_vocab_options(params))
                embeddings, report = model.train(prepared, progress, log, checkpointer(model), use_cache, **on_cluster)
            else:
                embeddings, report = training.train(
                    prepared, config, progress=progress, log=log, use_cache=use_cache, **on_cluster
                )
            summary = report.summary()
    with stage(f"writing {params['output']}"):
        embeddings.save(params["output"])
        if params["save_vocab"]:
            prepared.vocab.save(params["save_vocab"])
        if model_dir:
            model.save(model_dir)
            summary += f"; model in {model_dir}"
    click.echo(f"{summary}; wrote {params['output']}")


def _count_cooccurrences_on(client, prepared, config, log, progress: bool) -> None:
    """For GloVe and PPMI: count the co-occurrences on the cluster into the cache, where the
    trainer finds them (numba's kernels load here, not before)."""
    from .cooccur import CooccurrenceOptions, cooccurrences_for

    if CooccurrenceOptions.counted_by(config):
        with stage("counting co-occurrences"):
            options = CooccurrenceOptions.of(config)
            cooccurrences_for(prepared, options, config.memory, True, progress, log, cluster=client)


#: ``train`` options besides config fields that may accompany --resume / --init-from (the rest
#: comes from the model).
FROM_MODEL_OPTIONS = {
    "resume": {"corpus", "output", "save_vocab", "cache_dir", "no_cache", "checkpoint_every", "quiet", "resume"}
    | {"phrases", "cluster", "sync_words"},
    "init_from": {"corpus", "output", "save_vocab", "cache_dir", "no_cache", "checkpoint_every", "quiet", "init_from"}
    | {"save_model", "phrases", "cluster", "sync_words"},
}


def _from_model_fields(source: str, config) -> set[str]:
    """The config fields that may be given with ``source`` (--resume: ``run`` fields; --init-from:
    ``run`` and ``retrain`` fields; see :mod:`embedkit.config`)."""
    flags = ("run",) if source == "resume" else ("run", "retrain")
    return set().union(*(flagged_fields(type(config), flag) for flag in flags))


def _given(params: dict, names: set[str]) -> dict:
    """The values of ``names`` that were given (not None)."""
    return {name: params[name] for name in names if params.get(name) is not None}


def _check_options_from_model(params: dict, model) -> None:
    """With --resume or --init-from the model's options rule: any other option given is a usage error."""
    ctx = click.get_current_context()
    source = "resume" if params["resume"] else "init_from"
    allowed = FROM_MODEL_OPTIONS[source] | _from_model_fields(source, model.config)
    given = [
        name
        for name in params
        if name not in allowed and ctx.get_parameter_source(name) not in (click.core.ParameterSource.DEFAULT, None)
    ]
    if given:
        flags = ", ".join(_flag(name, params[name]) for name in given)
        others = ", ".join(sorted(_flag(name, None) for name in allowed - {"corpus", source}))
        raise click.UsageError(
            f"{flags}: with {_flag(source, None)} the options come from the model in "
            f"{params[source]} ({model.config.name}); only {others} may be given"
        )


def _checkpoint_interval(params: dict, entry: training.Trainer) -> tuple | None:
    """(epochs, seconds) of --checkpoint-every, after checking it goes with a model directory."""
    if (params["save_model"] or params["checkpoint_every"]) and not entry.resumable:
        resumable = [t.name for t in training.TRAINERS.values() if t.resumable]
        raise click.UsageError(
            f"--save-model and --checkpoint-every apply to {', '.join(resumable[:-1])} and {resumable[-1]}, "
            f"not {entry.name}"
        )
    if params["checkpoint_every"] is None:
        return None
    if not (params["save_model"] or params["resume"]):
        raise click.UsageError("--checkpoint-every needs --save-model DIR (where the checkpoints go)")
    try:
        return parse_every(params["checkpoint_every"])
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _check_model_output(directory: str, inputs: list) -> None:
    """--save-model names a new directory (an existing model is continued with --resume, never replaced)."""
    path = Path(directory)
    if is_model_directory(path):
        raise StorageError(
            f"cannot save the model in {directory}: it holds a model already; continue it with "
            f"--resume {directory} or give a new directory"
        )
    if path.exists():
        raise StorageError(f"cannot save the model in {directory}: it exists; give a new directory name")
    check_output_path(path, inputs, "--save-model")


def _output_bytes(vocab: Vocabulary, config) -> int:
    """About how many bytes the vectors file will take (binary size; text is about 3x)."""
    dim = config.dim * (2 if getattr(config, "vectors_out", "input") == "concat" else 1)
    word_bytes = sum(len(w.encode("utf-8")) for w in vocab.words[:10_000]) / max(1, min(len(vocab), 10_000))
    return int(len(vocab) * (4 * dim + word_bytes + 2))


def _model_config(params: dict):
    """The typed config of ``--model``; a hyper-parameter the model does not have is a usage error."""
    entry = training.trainer(params["model"])
    known = entry.applicable(params)
    ctx = click.get_current_context()
    foreign = [p.name for p in ctx.command.params if p.name in CONFIG_FIELDS - known and params.get(p.name) is not None]
    if foreign:
        flags = ", ".join(_flag(name, params[name]) for name in foreign)
        selectors = entry.selector_values(params)
        only = {f.name: f.metadata.get("only", {}) for f in fields(entry.config)}
        narrowed = sorted({k for name in foreign for k in only.get(name, {}) if k not in entry.selectors})
        setting = " ".join([f"--model {entry.name}", *(f"--{k.replace('_', '-')} {selectors[k]}" for k in narrowed)])
        hints = [entry.config.MISNAMED[name] for name in foreign if name in getattr(entry.config, "MISNAMED", {})]
        raise click.UsageError(
            f"{flags} {'does' if len(foreign) == 1 else 'do'} not apply to {setting}"
            + "".join(f"; {hint}" for hint in hints)
        )
    source, table = ctx.meta.get("embedkit.config", (None, {}))
    if table:  # values the flags override must still be valid: a bad file is an error either way
        try:
            entry.make_config({k: v for k, v in table.items() if k in known})
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return entry.make_config({k: params[k] for k in known if k in params})


def _flag(name: str, value) -> str:
    """The flag the user gave for the parameter ``name`` (``--cbow-sum`` for cbow_mean=False)."""
    param = next(p for p in click.get_current_context().command.params if p.name == name)
    if value is False and param.secondary_opts:
        return param.secondary_opts[0]
    return max(param.opts, key=len)


def _prepare(params: dict, log, model=None, client=None):
    """The prepared corpus, with the options of ``model`` when resuming one; with ``--phrases N``
    the text is first joined into phrases (N word2phrase passes, in a scratch directory, not
    cached). On ``client``'s cluster if given."""
    options = (
        _corpus_and_vocab_options(params)
        if model is None
        else (CorpusOptions(**model.corpus["corpus_options"]), VocabOptions(**model.corpus["vocab_options"]))
    )
    prepared = _prepare_with(params, log, options, client)
    summary = training.CorpusSummary.from_prepared(prepared)
    for warning in summary.warnings():
        _stderr(f"warning: {warning}")
    return prepared


def _prepare_with(params: dict, log, options: tuple[CorpusOptions, VocabOptions], client):
    if params.get("phrases"):  # train only: cooccur and vocab count the text as it is
        from .phrases import PhraseOptions, detect_phrases

        with scratch_directory("embedkit-phrases") as work:
            phrased = work / "phrased.txt"
            done = detect_phrases(
                params["corpus"],
                phrased,
                PhraseOptions(passes=params["phrases"]),
                options[0],
                cache_dir=params["cache_dir"],
                use_cache=not params["no_cache"],
                log=log,
            )
            log(f"phrases joined: {', '.join(f'pass {i + 1}: {n:,}' for i, (_, _, n) in enumerate(done))}")
            return prepare_corpus([phrased], *options, use_cache=False, log=log, warn=_stderr, cluster=client)
    return prepare_corpus(
        params["corpus"],
        *options,
        cache_dir=params["cache_dir"],
        use_cache=not params["no_cache"],
        log=log,
        warn=_stderr,
        cluster=client,
    )


@cli.command(context_settings=CONTEXT_SETTINGS)
@corpus_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="SciPy COO .npz file (scipy.sparse.load_npz reads it; 'words' holds the vocabulary).",
)
@click.option("--window", type=click.IntRange(1, 255), default=10, help="Maximum context distance.")
@cooccurrence_options
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Encoded-corpus cache [$EMBEDKIT_CACHE_DIR or ~/.cache/embedkit].",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Keep nothing: work in a private temporary directory under $TMPDIR, removed at exit.",
)
@cluster_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or notes; only the summary.")
def cooccur(**params) -> None:
    """Count the word-word co-occurrence matrix of CORPUS (GloVe's cooccur; cached for training)."""
    from .cooccur import CooccurrenceOptions, cooccurrences_for

    check_output_path(params["output"], Corpus(params["corpus"]).files)
    options = config_from_options(CooccurrenceOptions, params)
    memory = DEFAULT_MEMORY_GIB if params["memory"] is None else params["memory"]
    check_memory_gib(memory)
    log = (lambda message: None) if params["quiet"] else _stderr
    with _cluster(params, log) as client:
        with stage("reading the corpus"):
            prepared = _prepare(params, log, client=client)
        with stage("counting co-occurrences"):
            use_cache, progress = not params["no_cache"], not params["quiet"]
            matrix = cooccurrences_for(prepared, options, memory, use_cache, progress, log, cluster=client)
    with stage(f"writing {params['output']}"):
        matrix.save_npz(params["output"], prepared.vocab.words)
    click.echo(f"{matrix.nnz:,} nonzero co-occurrences of {matrix.n_words:,} words; wrote {params['output']}")


@cli.command(context_settings=CONTEXT_SETTINGS)
@corpus_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Vocabulary file.")
@cluster_option
def vocab(**params) -> None:
    """Count CORPUS and write its vocabulary as 'word count' lines (word2vec.c -save-vocab)."""
    corpus_opts, vocab_opts = _corpus_and_vocab_options(params)
    corpus = Corpus(params["corpus"], corpus_opts)
    check_output_path(params["output"], corpus.files)
    with stage("counting words"), _cluster(params, _stderr) as client:
        if client is None:
            built = Vocabulary.build(corpus, vocab_opts)
        else:
            from . import sharded

            built = sharded.count_words(client, corpus, vocab_opts, _stderr)
    built.save(params["output"])
    summary = training.CorpusSummary(
        corpus.stats, len(built), built.total_words, corpus.stats.sentences, built.pruned_below
    )
    for warning in summary.warnings():
        _stderr(f"warning: {warning}")
    click.echo(
        f"{len(built):,} words ({built.total_words:,} of {corpus.stats.tokens:,} tokens); wrote {params['output']}"
    )


@cli.command(context_settings=CONTEXT_SETTINGS)
@corpus_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="The text with phrases joined.")
@click.option("--scoring", type=click.Choice(PHRASE_SCORINGS), default="word2phrase", help="Phrase score.")
@click.option(
    "--threshold",
    default=None,
    metavar="T[,T2,...]",
    help="Score a phrase must exceed, one per pass (the last repeats) [word2phrase 100, npmi 0.5].",
)
@click.option(
    "--passes",
    type=int,
    default=None,
    help="Passes, each joining the previous one's phrases further [one per threshold].",
)
@click.option("--delimiter", default="_", help="Joins the words of a phrase.")
@click.option(
    "--connectors",
    default=None,
    metavar="W1,W2,...|english",
    help="Words allowed inside a phrase, never at its ends (bank_of_america); 'english': of, the, and, ...",
)
@click.option("--show", type=click.IntRange(min=0), default=0, help="Print N phrases of pass 1 (text, count, score).")
@click.option("--show-by", type=click.Choice(["count", "score"]), default="count", help="Order of --show.")
def phrases(**params) -> None:
    """Join frequent word pairs into phrases (new york -> new_york), as word2phrase.

    \b
    word2phrase: (count(ab) - min_count) / (count(a) count(b)) * tokens > threshold;
    npmi: ln(p(ab) / (p(a) p(b))) / -ln(p(ab)) > threshold (Bouma 2009, as gensim).
    --min-count is word2phrase's: pairs and words rarer than it score 0 (no word is dropped).
    Example (word2phrase's demo):  embedkit phrases corpus.txt --threshold 200,100 -o phrased.txt
    """
    from .phrases import CONNECTORS_ENGLISH, PhraseOptions, detect_phrases

    corpus_opts, _ = _corpus_and_vocab_options(params)
    if params["max_vocab"] is not None:
        raise click.UsageError("--max-vocab does not apply to phrases: every word is kept and scored")
    try:
        thresholds = tuple(float(t) for t in params["threshold"].split(",")) if params["threshold"] else ()
    except ValueError:
        raise click.UsageError(f"--threshold takes numbers separated by commas, got {params['threshold']!r}") from None
    passes = params["passes"] if params["passes"] is not None else max(len(thresholds), 1)
    if len(thresholds) > passes:
        raise click.UsageError(f"{len(thresholds)} thresholds for {passes} pass(es): give --passes {len(thresholds)}")
    connectors = params["connectors"]
    words = CONNECTORS_ENGLISH if connectors == "english" else frozenset(_word_list(connectors))
    options = PhraseOptions(params["min_count"], params["scoring"], thresholds, passes, params["delimiter"], words)
    options.check()
    corpus = Corpus(params["corpus"], corpus_opts)
    check_output_path(params["output"], corpus.files)
    with stage("finding phrases"):
        done = detect_phrases(params["corpus"], params["output"], options, corpus_opts, log=_stderr)
    if params["show"]:
        found, threshold, _ = done[0]
        for text, count, score in found.top(params["show"], threshold, params["show_by"], options.delimiter):
            click.echo(f"{text}\t{count}\t{score:.4g}")
    joined = ", ".join(f"pass {i + 1}: {n:,}" for i, (_, _, n) in enumerate(done))
    click.echo(f"phrases joined ({joined}); wrote {params['output']}")


# ----------------------------------------------------------------------------- queries


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("words", nargs=-1, required=True)
@click.option("-x", "--negative", multiple=True, metavar="WORD", help="Subtract this word (repeatable).")
@click.option("-n", "--topn", type=click.IntRange(min=1), default=10, help="Number of neighbours.")
@neighbours_option
def similar(words: tuple[str, ...], negative: tuple[str, ...], topn: int, vectors_path: str) -> None:
    """Nearest neighbours by cosine of the sum of WORDS minus the --negative words.

    \b
    Examples:  embedkit similar france
               embedkit similar king woman -x man
    """
    embeddings = _load_searchable(vectors_path)
    _note_subword_words(embeddings, [*words, *negative])
    _print_neighbours(embeddings.most_similar(list(words), list(negative), topn=topn))


@cli.command("doesnt-match", context_settings=CONTEXT_SETTINGS)
@click.argument("words", nargs=-1, required=True)
@vectors_option
def doesnt_match(words: tuple[str, ...], vectors_path: str) -> None:
    """The one of WORDS that fits the others least (breakfast cereal dinner lunch -> cereal)."""
    if len(words) < 2:
        raise click.UsageError("give at least two words")
    embeddings = _load_vectors(vectors_path)
    _note_subword_words(embeddings, words)
    click.echo(embeddings.doesnt_match(list(words)))


QUERY_HELP = """one query per line:
  france                 nearest neighbours
  king -man woman        neighbours of king - man + woman ('king - man + woman' works too)
  sim king queen         cosine similarity
  odd breakfast cereal dinner lunch   the word that does not match
  (an empty line or the end of input quits)"""


@cli.command(
    context_settings=CONTEXT_SETTINGS,
    help=f"Interactive exploration: read queries from standard input.\n\n\b\n{QUERY_HELP}",
)
@click.option("-n", "--topn", type=click.IntRange(min=1), default=10, help="Neighbours per query.")
@neighbours_option
def query(topn: int, vectors_path: str) -> None:
    embeddings = _load_searchable(vectors_path)
    interactive = sys.stdin.isatty()
    if interactive:
        _stderr(f"{len(embeddings):,} words x {embeddings.dim} dims loaded; {QUERY_HELP}")
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            break
        if not line.strip():
            break
        try:
            _answer(embeddings, line.split(), topn)
        except (EmbedkitError, ValueError) as exc:
            click.echo(f"error: {exc}")


def _answer(embeddings: Embeddings, tokens: list[str], topn: int) -> None:
    """Answer one line of ``embedkit query`` (see QUERY_HELP)."""
    command, rest = tokens[0], tokens[1:]
    _note_subword_words(embeddings, [t.lstrip("+-") for t in (rest if command in ("sim", "odd") else tokens)])
    if command == "sim" and len(rest) == 2:
        click.echo(f"{embeddings.similarity(*rest):.4f}")
    elif command == "odd" and len(rest) >= 2:
        click.echo(embeddings.doesnt_match(rest))
    else:
        positive, negative, sign = [], [], 1
        for token in tokens:
            if token in ("+", "-"):
                sign = 1 if token == "+" else -1
                continue
            if token.startswith("-"):
                negative.append(token[1:])
            else:
                (positive if sign > 0 else negative).append(token.lstrip("+"))
            sign = 1
        _print_neighbours(embeddings.most_similar(positive, negative, topn=topn))
    click.echo("")


def _replacement(value: str | None) -> str | None:
    """Check ``--replace-space`` before any file is read (the rule is :func:`replace_whitespace`'s)."""
    try:
        replace_whitespace([], value) if value is not None else None
    except EmbedkitError as exc:
        raise click.BadParameter(str(exc), param_hint="--replace-space") from None
    return value


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@click.option(
    "--from",
    "from_format",
    type=click.Choice(FORMATS),
    default="auto",
    help="Format of SOURCE (auto: detected from the content).",
)
@click.option(
    "--to",
    "to_format",
    type=click.Choice(FORMATS),
    default="auto",
    help="Format of TARGET (auto: .txt/.vec text, .npy native, else word2vec binary).",
)
@click.option(
    "--replace-space",
    metavar="CHAR",
    default=None,
    callback=lambda ctx, param, value: _replacement(value),
    help="Replace whitespace inside words by CHAR (GloVe 840B has words with spaces; '_' is usual).",
)
@loading_options
def convert(source: str, target: str, from_format: str, to_format: str, replace_space: str | None) -> None:
    """Convert vectors between word2vec text/binary, GloVe text and the native .npy format.

    \b
    The native format (TARGET.npy + TARGET.npy.words) loads by memory mapping.
    TARGET may not be SOURCE (nor its word list): write a new file, then rename it.
    Example:  embedkit convert vectors.bin vectors.npy
    """
    fmt = format_for_path(target) if to_format == "auto" else to_format
    _check_vectors_output(target, fmt, [source, native_words_path(source)])
    embeddings = _load_vectors(source, from_format)
    if replace_space is not None:
        embeddings = Embeddings(replace_whitespace(embeddings.words, replace_space), embeddings.vectors)
    embeddings.save(target, fmt)
    click.echo(f"{len(embeddings):,} words x {embeddings.dim} dims; wrote {target} ({fmt})")


@cli.command(context_settings=CONTEXT_SETTINGS)
@vectors_option
@click.option(
    "--projector",
    "prefix",
    required=True,
    metavar="PREFIX",
    help="Write PREFIX_tensor.tsv and PREFIX_metadata.tsv for the TensorBoard Embedding Projector.",
)
def export(vectors_path: str, prefix: str) -> None:
    """Export vectors for another tool: the TensorBoard Embedding Projector's TSV pair.

    \b
    Load both files in https://projector.tensorflow.org ("Load"); --limit N keeps the N most
    frequent words (the Projector is comfortable up to about 100,000 points).
    Example:  embedkit export --projector runs/sgns --limit 20000
    """
    for path in projector_paths(prefix):
        check_output_path(path, [vectors_path, native_words_path(vectors_path)])
    embeddings = _load_vectors(vectors_path)
    tensor, metadata = write_projector(embeddings, prefix)
    click.echo(f"{len(embeddings):,} words x {embeddings.dim} dims; wrote {tensor} and {metadata}")


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("vectors_path", metavar="VECTORS", required=False, default=DEFAULT_VECTORS, envvar="EMBEDKIT_VECTORS")
@click.option("--threads", type=click.IntRange(min=0), default=0, help="Worker threads, 0 = all cores.")
@click.option("--seed", type=click.IntRange(*SEED_RANGE), default=1, help="Seed of NN-descent.")
@loading_options
def index(vectors_path: str, threads: int, seed: int) -> None:
    """Build the approximate nearest-neighbour index VECTORS.ann (pynndescent).

    
    similar, analogy (3CosAdd) and query then rank the index's candidates by their exact
    cosine instead of scanning every vector (--exact to scan). The index is stale, and not
    used, once VECTORS changes. Needs the extra: pip install 'embedkit[ann]'.
    """
    import time

    from .ann import build_index, index_path, save_index
    from .files import human_size

    target = index_path(vectors_path)
    check_output_path(target, [vectors_path], what="index")
    embeddings = _load_vectors(vectors_path)
    _stderr(f"building the index of {len(embeddings):,} vectors x {embeddings.dim} (NN-descent)...")
    start = time.perf_counter()
    built = build_index(embeddings.unit, vectors_path, threads, seed)
    save_index(built, target)
    click.echo(
        f"indexed {len(embeddings):,} vectors x {embeddings.dim} in {time.perf_counter() - start:.1f} s; "
        f"wrote {target} ({human_size(target.stat().st_size)})"
    )


@cli.command(context_settings=CONTEXT_SETTINGS)
@vectors_option
@click.argument("path", required=False, type=click.Path())
def info(vectors_path: str, path: str | None) -> None:
    """Vocabulary size, dimension and vector norms of a vectors file (PATH or --vectors), or what a
    model directory (``train --save-model DIR``) holds and how far it is trained."""
    if path and Path(path).is_dir():
        model = Model.load(path)
        click.echo(f"directory   {path}")
        click.echo("\n".join(model.describe()))
        return
    embeddings = _load_vectors(path or vectors_path)
    norms = embeddings.norms
    finite = np.isfinite(norms)
    click.echo(f"file        {path or vectors_path}")
    click.echo(f"words       {len(embeddings):,}")
    click.echo(f"dimension   {embeddings.dim}")
    if finite.any():
        quantiles = np.percentile(norms[finite], [0, 25, 50, 75, 100])
        click.echo("norms       min {:.4g}  q1 {:.4g}  median {:.4g}  q3 {:.4g}  max {:.4g}".format(*quantiles))
    click.echo(f"zero rows   {int(np.count_nonzero(norms == 0)):,} (similar to nothing)")
    click.echo(f"non-finite  {int(np.count_nonzero(~finite)):,} (similar to nothing)")
    click.echo(f"first words {' '.join(embeddings.words[:10])}")


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("word1")
@click.argument("word2")
@vectors_option
def similarity(word1: str, word2: str, vectors_path: str) -> None:
    """Cosine similarity of WORD1 and WORD2."""
    embeddings = _load_vectors(vectors_path)
    _note_subword_words(embeddings, [word1, word2])
    click.echo(f"{embeddings.similarity(word1, word2):.4f}")


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("-n", "--topn", type=click.IntRange(min=1), default=10, help="Number of answers.")
@click.option("--method", type=click.Choice(ANALOGY_METHODS), default="3cosadd", help="Analogy objective.")
@neighbours_option
def analogy(a: str, b: str, c: str, topn: int, method: str, vectors_path: str) -> None:
    """Words closest to A - B + C (king man woman -> queen).

    3CosAdd uses the neighbour index when one is present; 3CosMul always scans every vector.
    """
    embeddings = (_load_searchable if method == "3cosadd" else _load_vectors)(vectors_path)
    _note_subword_words(embeddings, [a, b, c])
    _print_neighbours(embeddings.analogy(a, b, c, topn=topn, method=method))


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("name", required=False, type=click.Choice(["all", *DATASETS]))
@click.option(
    "--dataset",
    "dataset_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="A similarity (w1 w2 score), analogy (': section', a b c d), TOEFL .qst (.ans beside it) or SCWS file.",
)
@data_dir_option("Directory with the non-shipped sets (see 'embedkit datasets')")
@click.option(
    "--restrict-vocab",
    type=click.IntRange(min=1),
    default=None,
    help="Use the N most frequent words [similarity 300000, analogy 30000].",
)
@click.option("--method", type=click.Choice(ANALOGY_METHODS), default="3cosadd", help="Analogy objective.")
@click.option("--sections", is_flag=True, help="Also print the accuracy of every analogy section.")
@click.option("--case-sensitive", is_flag=True, help="Match words exactly instead of case-folded.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@vectors_option
def evaluate(
    name, dataset_file, data_dir, restrict_vocab, method, sections, case_sensitive, as_json, vectors_path
) -> None:
    """Score vectors on word-similarity and analogy datasets.

    \b
    NAME: 'all' (every set shipped or found in --data-dir, one table), or one of the sets
    'embedkit datasets' lists (wordsim353, simlex999, google-analogy are shipped).
    TOEFL (toefl.qst + toefl.ans, Landauer & Dumais 1997): accuracy of the choice with the
    highest cosine to the probe. SCWS (ratings.txt, Huang et al. 2012): Spearman with AvgSim,
    which for static vectors is the cosine of the two words.
    Analogies: 3CosAdd, or 3CosMul with cosines shifted to [0, 1] by (1 + cos) / 2 and
    epsilon 1e-6 in the denominator (Levy & Goldberg 2014); questions with a word outside
    the N most frequent are skipped and counted.
    """
    from .evaluate import evaluate_all, evaluate_analogy, evaluator, guess_kind  # scipy: only here

    if (name is None) == (dataset_file is None):
        raise click.UsageError("give a dataset NAME or --dataset PATH (exactly one)")
    embeddings = _load_vectors(vectors_path)
    if name == "all":
        if restrict_vocab is not None:
            raise click.UsageError("--restrict-vocab applies to one dataset, not to 'all'")
        results, skipped = evaluate_all(embeddings, data_dir, case_insensitive=not case_sensitive)
        if results:
            _print_table([r.row() for r in results], as_json)
        for note in skipped:
            _stderr(f"skipped {note}")
        if not results:
            raise EmbedkitError("no dataset could be scored on these vectors (see the notes above)")
        return
    if name is not None:
        kind, path = dataset_path(name, data_dir)
    else:
        path, kind, name = Path(dataset_file), guess_kind(dataset_file), Path(dataset_file).stem
    extra = {} if restrict_vocab is None else {"restrict_vocab": restrict_vocab}
    if kind == "analogy":
        result = evaluate_analogy(embeddings, path, name, method=method, case_insensitive=not case_sensitive, **extra)
    else:
        result = evaluator(kind)(embeddings, path, name, case_insensitive=not case_sensitive, **extra)
    if as_json:
        payload = {**vars(result)}
        if kind == "analogy":
            payload.update(
                accuracy=result.accuracy,
                semantic_accuracy=result.semantic_accuracy,
                syntactic_accuracy=result.syntactic_accuracy,
            )
        elif kind == "synonym":
            payload.update(accuracy=result.accuracy)
        click.echo(json.dumps(payload, allow_nan=False))
        return
    click.echo(result.summary())
    if sections and kind == "analogy":
        click.echo("\n".join(result.section_lines()))


def _print_table(rows: list[dict], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, allow_nan=False))
        return
    click.echo(f"{'dataset':<16} {'metric':<18} {'score':>7} {'coverage':>13} {'OOV':>6} {'subword':>7}")
    for r in rows:
        coverage = f"{r['used']}/{r['total']}"
        score = "-" if r["score"] is None else f"{r['score']:.4f}"
        subword = r.get("subword") or "-"
        click.echo(f"{r['dataset']:<16} {r['metric']:<18} {score:>7} {coverage:>13} {r['oov']:>6} {subword:>7}")


@cli.command(context_settings=CONTEXT_SETTINGS)
@data_dir_option("Directory searched for the non-shipped sets")
def datasets(data_dir: str | None) -> None:
    """List the evaluation sets embedkit knows, where each is, and where to get the others."""
    for name, dataset in DATASETS.items():
        path = locate(name, data_dir)
        where = (
            "shipped"
            if dataset.shipped
            else (str(path) if path else f"missing: download {dataset.filename} from {dataset.source}")
        )
        click.echo(f"{name:<15} {dataset.kind:<10} {dataset.reference:<45} {where}")


# ----------------------------------------------------------------------------- bias


@cli.group(context_settings=CONTEXT_SETTINGS)
def bias() -> None:
    """Measure bias (WEAT, the bias direction) and remove it (hard debiasing)."""


@bias.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--test",
    "names",
    multiple=True,
    metavar="NAME",
    help="Run only this test (repeatable) [all tests of the set file].",
)
@click.option(
    "--sets",
    "sets_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML file of tests (tables with lists X, Y, A, B) [Caliskan et al. 2017's].",
)
@click.option(
    "--permutations",
    type=click.IntRange(*PERMUTATIONS_RANGE),
    default=10_000,
    help="Partitions for the permutation test (all of them when fewer exist).",
)
@click.option("--seed", type=click.IntRange(*SEED_RANGE), default=1, help="Seed of the sampled partitions.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@vectors_option
def weat(names, sets_file, permutations, seed, as_json, vectors_path) -> None:
    """Word Embedding Association Test: effect size d and permutation p-value per test.

    \b
    Shipped tests (Caliskan, Bryson & Narayanan 2017): flowers-insects, instruments-weapons,
    career-family, math-arts, science-arts. Words missing from the vectors are dropped.
    """
    from .bias import load_tests
    from .bias import weat as run_weat

    tests = load_tests(sets_file)
    unknown = [n for n in names if n not in tests]
    if unknown:
        raise click.UsageError(f"unknown test(s) {', '.join(unknown)}; known: {', '.join(tests)}")
    embeddings = _load_vectors(vectors_path)
    results = []
    for name in names or tests:
        try:
            results.append(run_weat(embeddings, tests[name], permutations, seed))
        except EmbedkitError as exc:
            _stderr(f"skipped {exc}")
    if not results:
        raise EmbedkitError("no WEAT test could be run on these vectors")
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "test": r.test.name,
                        "effect_size": r.effect_size,
                        "p_value": r.p_value,
                        "exact": r.exact,
                        "missing": r.missing,
                    }
                    for r in results
                ],
                allow_nan=False,
            )
        )
        return
    for result in results:
        click.echo(result.summary())


# ----------------------------------------------------------------------------- plots


def _word_list(value: str | None) -> list[str]:
    return [w.strip() for w in value.split(",") if w.strip()] if value else []


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option("--words", default=None, metavar="W1,W2,...", help="Words to draw.")
@click.option("--top", type=click.IntRange(min=3), default=None, help="Draw the N most frequent words.")
@click.option(
    "--pairs",
    default=None,
    metavar="A:B,C:D,...",
    help="Draw an arrow from A to B for each pair (france:paris,italy:rome,...).",
)
@click.option("--method", type=click.Choice(["pca", "tsne"]), default="pca", help="2-D projection.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Image: .png, .svg or .pdf.")
@click.option("--width", type=click.IntRange(*PLOT_SIDE_RANGE), default=800, help="Width in pixels.")
@click.option("--height", type=click.IntRange(*PLOT_SIDE_RANGE), default=600, help="Height in pixels.")
@click.option("--title", default=None, help="Title above the plot (drawn literally: $ is not mathtext).")
@click.option("--seed", type=click.IntRange(*SEED_RANGE), default=1, help="t-SNE seed.")
@vectors_option
def plot(words, top, pairs, method, output, width, height, title, seed, vectors_path) -> None:
    """Draw words in 2-D (PCA or t-SNE), optionally with analogy arrows.

    \b
    Example:  embedkit plot --pairs france:paris,italy:rome,spain:madrid,germany:berlin -o capitals.png
    """
    from .plot import plot_words

    pair_list = []
    for item in _word_list(pairs):
        pair = tuple(w.strip() for w in item.split(":"))
        if len(pair) != 2 or not all(pair):
            raise click.UsageError(f"--pairs takes A:B items (two words), got {item!r}")
        pair_list.append(pair)
    embeddings = _load_vectors(vectors_path)
    chosen = _word_list(words) + (embeddings.words[:top] if top else [])
    if not chosen and not pair_list:
        raise click.UsageError("give --words, --top or --pairs")
    dropped = plot_words(
        embeddings, chosen, output, pair_list, method, width, height, title, seed, inputs=[vectors_path]
    )
    if dropped:
        _stderr(f"note: not drawn (zero or non-finite vector): {', '.join(dropped)}")
    click.echo(f"wrote {output}")


from . import analysis_commands  # noqa: E402, F401  (registers align, drift and bias direction/project/debias)
