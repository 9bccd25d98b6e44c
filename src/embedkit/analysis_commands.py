"""The commands that compare or change trained vectors: ``align``, ``drift``, ``bias
direction / project / debias``, and the experiments ``compare`` and ``sweep``. Registered on
:data:`embedkit.cli.cli` when that module loads."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import click

from .cli import (
    CONTEXT_SETTINGS,
    _check_vectors_output,
    _load_vectors,
    _stderr,
    bias,
    cli,
    data_dir_option,
    loading_options,
    vectors_option,
)
from .errors import EmbedkitError, describe_os_error
from .experiments import FAMILIES
from .io import format_for_path

DRIFT_ORDERS = ("cosine", "neighbours")
OUTPUT_FORMAT = ".txt/.vec text, .npy native, else word2vec binary"
LISTS_HELP = "TOML word lists (definitional, equalize, specific) [Bolukbasi et al. 2016's, as shipped]."


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("reference", type=click.Path(dir_okay=False))
@click.argument("other", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help=f"OTHER rotated onto REFERENCE ({OUTPUT_FORMAT}).",
)
@click.option(
    "--anchors",
    type=click.IntRange(min=2),
    default=None,
    help="Fit on the N most frequent shared words only [all shared words].",
)
@loading_options
def align(reference: str, other: str, output: str, anchors: int | None) -> None:
    """Rotate OTHER's vectors onto REFERENCE's (orthogonal Procrustes over the shared words).

    \b
    Cosines within OTHER are unchanged; its words can then be compared with REFERENCE's
    directly (Hamilton, Leskovec & Jurafsky 2016). Example:
      embedkit align vectors-1990.bin vectors-2000.bin -o vectors-2000-aligned.bin
    """
    from .align import align as align_vectors

    fmt = format_for_path(output)
    _check_vectors_output(output, fmt, [reference, other])
    aligned, alignment = align_vectors(_load_vectors(reference), _load_vectors(other), anchors)
    aligned.save(output, fmt)
    click.echo(
        f"aligned {other} onto {reference} on {len(alignment.anchors)} anchor words "
        f"(mean distance after rotation {alignment.residual:.4f}); wrote {output}"
    )


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("reference", type=click.Path(dir_okay=False))
@click.argument("other", type=click.Path(dir_okay=False))
@click.option("--top", type=click.IntRange(min=3), default=10_000, help="Compare the N most frequent shared words.")
@click.option("--anchors", type=click.IntRange(min=2), default=None, help="Align on the N most frequent shared words.")
@click.option("--neighbours", type=click.IntRange(min=1), default=10, help="Size k of the neighbour sets.")
@click.option("--by", type=click.Choice(DRIFT_ORDERS), default="cosine", help="Rank by this measure.")
@click.option("-n", "--topn", type=click.IntRange(min=1), default=20, help="Words to print.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@loading_options
def drift(reference, other, top, anchors, neighbours, by, topn, as_json) -> None:
    """Words whose meaning moved most from REFERENCE to OTHER.

    \b
    cosine: 1 - cos(word in REFERENCE, word in OTHER aligned onto it);
    neighbours: Jaccard distance of the word's k nearest neighbours in the two sets
    (Hamilton, Leskovec & Jurafsky 2016). Frequent words first need --top large enough.
    """
    from .align import drift as drift_rows

    rows = drift_rows(_load_vectors(reference), _load_vectors(other), top, anchors, neighbours)
    if by == "neighbours":
        rows.sort(key=lambda r: -r.neighbour_distance)
    rows = rows[:topn]
    if as_json:
        click.echo(json.dumps([vars(r) for r in rows], allow_nan=False))
        return
    click.echo(f"{'word':<24} {'cosine':>8} {'neighbours':>10}")
    for row in rows:
        click.echo(f"{row.word:<24} {row.cosine_distance:>8.4f} {row.neighbour_distance:>10.4f}")


def lists_option(command):
    return click.option("--lists", "lists_file", type=click.Path(dir_okay=False), default=None, help=LISTS_HELP)(
        command
    )


def _direction(embeddings, lists_file):
    from .debias import bias_direction, load_word_lists

    lists = load_word_lists(lists_file)
    direction = bias_direction(embeddings, lists.definitional)
    if direction.missing:
        _stderr(f"note: pairs not in the vocabulary: {', '.join('/'.join(p) for p in direction.missing)}")
    return lists, direction


@bias.command(context_settings=CONTEXT_SETTINGS)
@lists_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@vectors_option
def direction(lists_file, as_json, vectors_path) -> None:
    """The bias direction: first principal component of the definitional pairs.

    Prints the share of variance of each principal component (Bolukbasi et al. 2016, Fig. 3):
    a first component far above the others means the pairs share one direction.
    """
    _, found = _direction(_load_vectors(vectors_path), lists_file)
    if as_json:
        payload = {"explained": found.explained.tolist(), "pairs": found.pairs, "missing": found.missing}
        click.echo(json.dumps(payload, allow_nan=False))
        return
    click.echo(f"direction from {len(found.pairs)} pairs ({found.pairs[0][1]} -> {found.pairs[0][0]})")
    for number, share in enumerate(found.explained, start=1):
        click.echo(f"  component {number:>2}  {share:.4f}  {'#' * round(share * 50)}")


@bias.command(context_settings=CONTEXT_SETTINGS)
@lists_option
@click.option("-n", "--topn", type=click.IntRange(min=1), default=20, help="Words at each end.")
@click.option("--restrict-vocab", type=click.IntRange(min=1), default=50_000, help="Search the N most frequent words.")
@vectors_option
def project(lists_file, topn, restrict_vocab, vectors_path) -> None:
    """The words most associated with each end of the bias direction (projection of unit vectors)."""
    from .debias import project as project_words

    embeddings = _load_vectors(vectors_path)
    _, found = _direction(embeddings, lists_file)
    ends = project_words(embeddings, found.direction, topn, restrict_vocab)
    names = (found.pairs[0][0], found.pairs[0][1])
    click.echo(f"{names[0] + ' end':<30} {names[1] + ' end':<30}")
    for (w1, s1), (w2, s2) in zip(*ends):
        click.echo(f"{w1:<22} {s1:+.4f} {w2:<22} {s2:+.4f}")


@bias.command(context_settings=CONTEXT_SETTINGS)
@lists_option
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True, help=f"Debiased vectors ({OUTPUT_FORMAT})."
)
@vectors_option
def debias(lists_file, output, vectors_path) -> None:
    """Hard debiasing: neutralize, then equalize; writes unit vectors.

    After Bolukbasi et al. 2016: every word that is not gender-specific loses its component along the direction; each
    equalize pair becomes equidistant from every such word.
    """
    from .debias import hard_debias

    fmt = format_for_path(output)
    _check_vectors_output(output, fmt, [vectors_path, *([lists_file] if lists_file else [])])
    embeddings = _load_vectors(vectors_path)
    lists, found = _direction(embeddings, lists_file)
    debiased, neutralized, equalized = hard_debias(embeddings, lists, found.direction)
    debiased.save(output, fmt)
    click.echo(f"neutralized {neutralized} words, equalized {equalized} pairs; wrote {output}")


EXPERIMENT_SETTINGS = {**CONTEXT_SETTINGS, "ignore_unknown_options": True, "allow_extra_args": True}


def _corpus_and_extra(arguments: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The leading corpus paths and the train options after them."""
    split = next((i for i, a in enumerate(arguments) if a.startswith("-")), len(arguments))
    if split == 0:
        raise click.UsageError("give the CORPUS (files or directories) first")
    return list(arguments[:split]), list(arguments[split:])


def _experiment(runs, corpus, out_dir, data_dir, name, about, as_json, numeric) -> None:
    """Train and score ``runs``, then print the table and write NAME.json and NAME.png in ``out_dir``."""
    from .experiments import plot_runs, score_runs, table, train_run, write_json
    from .files import check_output_path
    from .plot import check_image_path

    json_path, figure_path = out_dir / f"{name}.json", out_dir / f"{name}.png"
    check_output_path(json_path, corpus)
    check_image_path(figure_path, corpus)
    for run in runs:
        check_output_path(run.vectors, corpus)
    for run in runs:
        train_run(corpus, run, _stderr)
    for note in score_runs(runs, data_dir):
        _stderr(f"skipped {note}")
    write_json(runs, json_path, about)
    try:
        plot_runs(runs, figure_path, f"embedkit {name}: {' '.join(corpus)}", numeric)
        wrote = f"{json_path}, {figure_path}"
    except EmbedkitError as exc:  # matplotlib missing: the table and JSON still stand
        _stderr(f"note: no figure: {exc}")
        wrote = str(json_path)
    if as_json:
        click.echo(json_path.read_text().rstrip())
    else:
        click.echo(table(runs))
    _stderr(f"wrote {wrote}")


def experiment_options(default_dir: str):
    def decorate(command):
        command = click.option("--json", "as_json", is_flag=True, help="Print the JSON instead of the table.")(command)
        command = data_dir_option("Directory with the non-shipped evaluation sets")(command)
        return click.option(
            "-o",
            "--out-dir",
            type=click.Path(file_okay=False),
            default=default_dir,
            help="Directory for the vectors, NAME.json and NAME.png (created).",
        )(command)

    return decorate


@contextlib.contextmanager
def _out_dir(path: str) -> Iterator[Path]:
    """The output directory, created if missing, and removed again if the work fails before
    anything was written into it."""
    out = Path(path)
    created = not out.exists()
    try:
        out.mkdir(exist_ok=True)
    except OSError as exc:
        raise EmbedkitError(f"cannot create the output directory {out}: {describe_os_error(exc)}") from None
    try:
        yield out
    except BaseException:
        if created and not any(out.iterdir()):
            out.rmdir()
        raise


@cli.command(context_settings=EXPERIMENT_SETTINGS)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED, metavar="CORPUS... [TRAIN OPTIONS]")
@click.option("--models", default=",".join(FAMILIES), help="Model families, comma-separated.")
@experiment_options("compare")
def compare(arguments, models, out_dir, data_dir, as_json) -> None:
    """Train each model family on CORPUS (one shared vocabulary) and score them side by side.

    \b
    Each family trains from its packaged config (embedkit train --config MODEL), in its own
    process; options after CORPUS go to every training (e.g. --min-count 10). Prints one table
    (every evaluation set, training time, peak RSS) and writes compare.json and compare.png.
    Example:  embedkit compare corpus.txt --models sgns,glove,ppmi
    """
    from .experiments import compare_runs

    corpus, extra = _corpus_and_extra(arguments)
    chosen = [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in FAMILIES]
    if unknown or not chosen:
        raise click.UsageError(f"--models takes families from {', '.join(FAMILIES)}; got {models!r}")
    about = {"command": "compare", "corpus": corpus, "options": extra}
    with _out_dir(out_dir) as out:
        _experiment(compare_runs(chosen, out, extra), corpus, out, data_dir, "compare", about, as_json, numeric=False)


@cli.command(context_settings=EXPERIMENT_SETTINGS)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED, metavar="CORPUS... --OPTION V1,V2,...")
@click.option("--model", type=click.Choice(FAMILIES), default="sgns", help="Model family (its packaged config).")
@experiment_options("sweep")
def sweep(arguments, model, out_dir, data_dir, as_json) -> None:
    """Train MODEL on CORPUS once per value of one option and plot every score against it.

    \b
    The swept option is the one given a comma-separated list (any train option); the other
    options after CORPUS go to every run. Writes sweep.json and sweep.png.
    Example:  embedkit sweep corpus.txt --model sgns --window 2,5,10
    """
    from .experiments import all_numbers, parse_sweep, sweep_runs

    corpus, extra = _corpus_and_extra(arguments)
    option, values, rest = parse_sweep(extra)
    about = {"command": "sweep", "corpus": corpus, "model": model, "option": option, "values": values, "options": rest}
    with _out_dir(out_dir) as out:
        runs = sweep_runs(model, option, values, out, rest)
        _experiment(runs, corpus, out, data_dir, "sweep", about, as_json, numeric=all_numbers(values))
