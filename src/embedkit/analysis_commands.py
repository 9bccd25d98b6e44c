"""The commands that compare or change trained vectors: ``align``, ``drift`` and ``bias
direction / project / debias``. Registered on :data:`embedkit.cli.cli` when that module loads."""

from __future__ import annotations

import json

import click

from .cli import (
    CONTEXT_SETTINGS,
    _check_vectors_output,
    _load_vectors,
    _stderr,
    bias,
    cli,
    loading_options,
    vectors_option,
)
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
