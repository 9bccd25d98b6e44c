"""Typed training configurations and TOML config files.

A config file (``configs/*.toml``) is a flat table whose keys are the ``embedkit train``
option names with underscores (``min_count = 5``). The CLI loads it into click's
``default_map``: command-line flags beat the file, the file beats the built-in defaults, and
unknown keys are an error. The configs of the repository's ``configs/`` directory ship in the
package (``embedkit/configs``, a link to it in a checkout): ``--config glove`` names the
packaged ``glove.toml`` (:func:`config_path`).

Field metadata says how each hyper-parameter behaves, and the CLI derives its rules from it:
``only`` (``{"loss": "ns"}``: the field applies only under these values of other fields, see
:func:`applicable_fields`), ``run`` (how to run, not what to learn: may be given again with
``--resume``) and ``retrain`` (may change when training continues on new text, ``--init-from``).
A config class's ``MISNAMED`` maps option names it does *not* have to a hint (GloVe has no
``alpha``: its learning rate is ``eta``).
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar

from .errors import ConfigError
from .files import read_text_file
from .memory import total_memory_bytes

ARCHITECTURES = ("skipgram", "cbow")
LOSSES = ("ns", "hs")
VECTORS_OUT = ("input", "sum", "concat")
#: Default memory budget of co-occurrence counting and GloVe's cells, GiB (cooccur.c's ``-memory``).
DEFAULT_MEMORY_GIB = 4.0
#: Bound of the float32 hyper-parameters the kernels take (alpha, x_max, grad_clip): beyond it
#: they would become inf.
FLOAT32_MAX = 1e38
#: Largest vector dimension accepted (the memory check refuses most of what lies below it).
MAX_DIM = 1_000_000
#: Largest word2vec window (a dynamic window beyond a sentence's length changes nothing).
MAX_WINDOW = 100_000
#: Largest number of noise words per positive example.
MAX_NEGATIVE = 1_000
#: Largest number of epochs (GloVe iterations).
MAX_EPOCHS = 100_000
#: Largest number of worker threads.
MAX_THREADS = 4_096
#: Longest character n-gram of the subword model.
MAX_NGRAM = 100
#: Most n-gram hash buckets (fastText stores bucket ids as int32).
MAX_BUCKETS = 2**31 - 1
#: Where the packaged config files are (``--config NAME``).
PACKAGED_CONFIGS = Path(__file__).resolve().parent / "configs"


@dataclass(frozen=True)
class Word2VecConfig:
    """Settings of the word2vec trainers (word2vec.c / gensim defaults).

    Attributes
    ----------
    architecture : {"skipgram", "cbow"}
        Skip-gram (default) predicts the centre word from each context word; CBOW from the
        mean (or sum) of the context words.
    loss : {"ns", "hs"}
        Negative sampling (default) or hierarchical softmax over a Huffman tree.
    dim : int
        Vector dimension (default 100).
    window : int
        Maximum context distance; each centre word uses ``b ~ U{1..window}`` (default 5).
    negative : int
        Noise words per positive example for ``loss="ns"`` (default 5).
    ns_exponent : float
        Noise distribution ``count**ns_exponent`` (default 0.75, word2vec.c).
    sample : float
        Subsampling threshold ``t`` of word2vec.c's formula (default 1e-3; 0 disables).
    alpha : float or None
        Initial learning rate; None means 0.025 for skip-gram and 0.05 for CBOW (word2vec.c).
    min_alpha : float or None
        Final learning rate of the linear decay; None means ``alpha * 1e-4`` (word2vec.c).
    cbow_mean : bool
        CBOW input is the mean of the context vectors (default True) or their sum.
    vectors_out : {"input", "sum", "concat"}
        Write W (default), W + C, or [W, C] (2*dim columns); C has per-word rows only with
        negative sampling.
    epochs : int
        Passes over the corpus (default 5).
    threads : int
        Worker threads; 0 means all cores (default).
    seed : int
        Seed of the initial vectors and every random stream (default 1).
    chunk_words : int
        Tokens per unit of parallel work (default 10,000).
    minn, maxn : int
        Character n-gram lengths of the subword (fastText) model; ``maxn=0`` (default) turns
        subwords off, ``minn`` (default 3) applies only with ``maxn > 0``.
    buckets : int
        Hash buckets of the n-grams (default 2,000,000, fastText's ``-bucket``).

    Raises
    ------
    ConfigError
        On out-of-range values, ``vectors_out`` other than ``input`` with ``loss="hs"`` or with
        subwords, ``minn > maxn``, or CBOW's sum with subwords.
    """

    architecture: str = "skipgram"
    loss: str = "ns"
    dim: int = 100
    window: int = 5
    negative: int = field(default=5, metadata={"only": {"loss": "ns"}})
    ns_exponent: float = field(default=0.75, metadata={"only": {"loss": "ns"}})
    sample: float = 1e-3
    alpha: float | None = field(default=None, metadata={"retrain": True})
    min_alpha: float | None = None
    cbow_mean: bool = field(default=True, metadata={"only": {"architecture": "cbow"}})
    vectors_out: str = "input"
    epochs: int = field(default=5, metadata={"retrain": True})
    threads: int = field(default=0, metadata={"run": True})
    seed: int = 1
    chunk_words: int = 10_000
    minn: int = 3
    maxn: int = 0
    buckets: int = 2_000_000

    def __post_init__(self) -> None:
        check_types(self)
        _require(self.architecture in ARCHITECTURES, f"architecture must be one of {', '.join(ARCHITECTURES)}")
        _require(self.loss in LOSSES, f"loss must be one of {', '.join(LOSSES)}")
        _require(self.vectors_out in VECTORS_OUT, f"vectors_out must be one of {', '.join(VECTORS_OUT)}")
        _require(
            self.loss == "ns" or self.vectors_out == "input",
            f"vectors_out={self.vectors_out} needs negative sampling: hierarchical softmax has no "
            "per-word output vectors",
        )
        _in_range("dim", self.dim, 1, MAX_DIM)
        _in_range("window", self.window, 1, MAX_WINDOW)
        _in_range("negative", self.negative, 1, MAX_NEGATIVE)
        _in_range("ns_exponent", self.ns_exponent, -10.0, 10.0)
        _in_range("sample", self.sample, 0.0, 1.0)
        if self.alpha is not None:
            _in_range("alpha", self.alpha, 0.0, FLOAT32_MAX, low_open=True)
        if self.min_alpha is not None:
            _require(
                0 <= self.min_alpha <= self.learning_rate,
                f"min_alpha must be in [0, alpha={self.learning_rate:g}], got {self.min_alpha:g}",
            )
        _in_range("epochs", self.epochs, 1, MAX_EPOCHS)
        _in_range("threads", self.threads, 0, MAX_THREADS, note=" (0 = all cores)")
        _check_seed(self.seed)
        _in_range("chunk_words", self.chunk_words, 100, 1 << 30)
        _in_range("maxn", self.maxn, 0, MAX_NGRAM, note=" (0 = no subwords)")
        _in_range("minn", self.minn, 1, MAX_NGRAM)
        _in_range("buckets", self.buckets, 1, MAX_BUCKETS)
        if self.maxn:
            _require(self.minn <= self.maxn, f"minn={self.minn} exceeds maxn={self.maxn}: no n-gram would fit")
            _require(
                self.vectors_out == "input",
                f"vectors_out={self.vectors_out} does not apply to subword models (maxn > 0): their vectors are W",
            )
            _require(
                self.cbow_mean or self.architecture != "cbow",
                "CBOW with subwords averages all the context's rows (fastText); --cbow-sum does not apply",
            )

    @property
    def name(self) -> str:
        """Short model name: sgns, sg-hs, cbow or cbow-hs, ``-subword`` appended with subwords."""
        base = "sg" if self.architecture == "skipgram" else "cbow"
        name = {"sg": "sgns", "cbow": "cbow"}[base] if self.loss == "ns" else f"{base}-hs"
        return f"{name}-subword" if self.maxn else name

    @property
    def subwords(self):
        """The :class:`embedkit.subwords.SubwordSpec` of the run, or None without subwords."""
        from .subwords import SubwordSpec

        return SubwordSpec(self.minn, self.maxn, self.buckets) if self.maxn else None

    @property
    def learning_rate(self) -> float:
        """``alpha``, or its architecture default (0.025 skip-gram, 0.05 CBOW)."""
        if self.alpha is not None:
            return self.alpha
        return 0.05 if self.architecture == "cbow" else 0.025

    @property
    def final_alpha(self) -> float:
        return self.learning_rate * 1e-4 if self.min_alpha is None else self.min_alpha

    @property
    def n_threads(self) -> int:
        return self.threads or os.cpu_count() or 1


@dataclass(frozen=True)
class GloveConfig:
    """Settings of the GloVe trainer (Pennington et al. 2014; Stanford glove.c defaults).

    Attributes
    ----------
    dim : int
        Vector dimension (default 100).
    window : int
        Co-occurrence window, 1..255 (default 10, GloVe's demo).
    symmetric : bool
        Count context on both sides (default) or the left side only.
    distance_weighting : bool
        Weight a co-occurrence at distance d by 1/d (default, glove.c) or 1.
    x_max : float
        Cut-off of the weighting function f (default 100, the paper; glove.c's demo uses 10 on
        text8-sized corpora).
    weight_exponent : float
        Exponent of f(x) = (x / x_max)**weight_exponent below x_max (default 0.75; glove.c's ``-alpha``).
    eta : float
        Initial AdaGrad learning rate (default 0.05; glove.c's ``-eta``). There is no ``alpha``:
        glove.c's ``-alpha`` is ``weight_exponent``.
    grad_clip : float
        Bound on each gradient component before the step (default 100, glove.c).
    epochs : int
        Passes over the nonzero cells (default 15; glove.c's ``-iter``).
    vectors_out : {"input", "sum", "concat"}
        Write W, W + C (default, glove.c ``-model 2``) or [W, C].
    threads : int
        Worker threads; 0 means all cores (default).
    seed : int
        Seed of the initial parameters and of the shuffles (default 1).
    memory : float
        Memory budget in GiB for counting and for the cells held while training (default 4).

    Raises
    ------
    ConfigError
        On out-of-range values.
    """

    dim: int = 100
    window: int = 10
    symmetric: bool = True
    distance_weighting: bool = True
    x_max: float = 100.0
    weight_exponent: float = 0.75
    eta: float = field(default=0.05, metadata={"retrain": True})
    grad_clip: float = 100.0
    epochs: int = field(default=15, metadata={"retrain": True})
    vectors_out: str = "sum"
    threads: int = field(default=0, metadata={"run": True})
    seed: int = 1
    memory: float = DEFAULT_MEMORY_GIB

    MISNAMED: ClassVar[dict[str, str]] = {
        "alpha": "the learning rate is --eta (glove.c's -eta); glove.c's -alpha is --weight-exponent"
    }

    def __post_init__(self) -> None:
        check_types(self)
        _in_range("dim", self.dim, 1, MAX_DIM)
        _in_range("window", self.window, 1, 255)
        _in_range("x_max", self.x_max, 1e-6, FLOAT32_MAX)
        _in_range("weight_exponent", self.weight_exponent, 0.0, 10.0)
        _in_range("eta", self.eta, 0.0, FLOAT32_MAX, low_open=True)
        _in_range("grad_clip", self.grad_clip, 0.0, FLOAT32_MAX, low_open=True)
        _in_range("epochs", self.epochs, 1, MAX_EPOCHS)
        _require(self.vectors_out in VECTORS_OUT, f"vectors_out must be one of {', '.join(VECTORS_OUT)}")
        _in_range("threads", self.threads, 0, MAX_THREADS, note=" (0 = all cores)")
        _check_seed(self.seed)
        check_memory_gib(self.memory)

    @property
    def name(self) -> str:
        return "glove"

    @property
    def n_threads(self) -> int:
        return self.threads or os.cpu_count() or 1


IDF_MODES = ("smooth", "plain", "none")


@dataclass(frozen=True)
class PPMIConfig:
    """Settings of PPMI-SVD (Levy, Goldberg & Dagan 2015, "Improving distributional similarity").

    Attributes
    ----------
    dim : int
        Number of SVD components (default 100).
    window : int
        Co-occurrence window, 1..255 (default 5).
    symmetric : bool
        Count context on both sides (default).
    distance_weighting : bool
        Weight a co-occurrence at distance d by 1/d (default False: plain counts).
    cds : float
        Context-distribution smoothing: contexts weigh ``count**cds`` (default 0.75; 1 = none).
    ppmi_shift : int
        k of the shift: subtract ``log(k)`` from the PMI before clipping at 0 (default 1: plain
        PPMI; k > 1 is Levy et al.'s shifted PPMI, SPPMI, k playing SGNS's negatives).
    eig : float
        Eigenvalue weighting p of the vectors ``U Σ^p``, in [0, 1] (default 0.5; Levy et al. compare 0, 0.5, 1).
    vectors_out : {"input", "sum", "concat"}
        ``U Σ^p`` (default), plus the context vectors ``V Σ^p`` (the paper's w + c), or both side by side.
    memory : float
        Memory budget of co-occurrence counting, GiB (default 4).
    seed : int
        Seed of the SVD's start vector (default 1).
    """

    dim: int = 100
    window: int = 5
    symmetric: bool = True
    distance_weighting: bool = False
    cds: float = 0.75
    ppmi_shift: int = 1
    eig: float = 0.5
    vectors_out: str = "input"
    memory: float = DEFAULT_MEMORY_GIB
    seed: int = 1

    def __post_init__(self) -> None:
        check_types(self)
        _in_range("dim", self.dim, 1, MAX_DIM)
        _in_range("window", self.window, 1, 255)
        _in_range("cds", self.cds, 0.0, 1.0, low_open=True)
        _in_range("ppmi_shift", self.ppmi_shift, 1, 1 << 62)
        _in_range("eig", self.eig, 0.0, 1.0)
        _require(self.vectors_out in VECTORS_OUT, f"vectors_out must be one of {', '.join(VECTORS_OUT)}")
        check_memory_gib(self.memory)
        _check_seed(self.seed)

    @property
    def name(self) -> str:
        return "ppmi"


@dataclass(frozen=True)
class LSAConfig:
    """Settings of LSA: truncated SVD of a TF-IDF term-document matrix (Deerwester et al. 1990).

    Attributes
    ----------
    dim : int
        Number of SVD components (default 100).
    doc_window : int
        0 (default): each line of the corpus is a document; N > 0: each block of N consecutive
        tokens of the (encoded) corpus is one.
    stopwords : str
        ``"english"`` (default, the shipped list), ``"none"``, or a file with one word per line;
        stopwords get no row (and no vector).
    sublinear_tf : bool
        Term frequency ``1 + log(tf)`` (default) or raw ``tf``.
    idf : {"smooth", "plain", "none"}
        ``log((1 + D) / (1 + df)) + 1`` (default, smooth), ``log(D / df)``, or no idf.
    eig : float
        Eigenvalue weighting p of the vectors ``U Σ^p`` (default 1, classic LSA).
    seed : int
        Seed of the SVD's start vector (default 1).
    """

    dim: int = 100
    doc_window: int = 0
    stopwords: str = "english"
    sublinear_tf: bool = True
    idf: str = "smooth"
    eig: float = 1.0
    seed: int = 1

    def __post_init__(self) -> None:
        check_types(self)
        _in_range("dim", self.dim, 1, MAX_DIM)
        _in_range("doc_window", self.doc_window, 0, 1 << 40, note=" (0 = one document per line)")
        _require(self.idf in IDF_MODES, f"idf must be one of {', '.join(IDF_MODES)}")
        _in_range("eig", self.eig, 0.0, 1.0)
        _require(bool(self.stopwords.strip()), "stopwords must be 'english', 'none' or a file name, got ''")
        _check_seed(self.seed)

    @property
    def name(self) -> str:
        return "lsa"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _in_range(name: str, value, low, high, low_open: bool = False, note: str = "") -> None:
    """``value`` within [low, high] (or (low, high] with ``low_open``), finite; else ConfigError."""
    ok = math.isfinite(value) and (value > low if low_open else value >= low) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ConfigError(f"{name} must be in {bracket}{_number(low)}, {_number(high)}]{note}, got {value!r}")


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _check_seed(seed: int) -> None:
    _require(0 <= seed < 2**63, f"seed must be an integer in [0, 2^63), got {seed!r}")


#: Field annotation -> the Python types a value of that field may have (bool is not an int here).
_FIELD_TYPES = {
    "int": (int,),
    "int | None": (int, type(None)),
    "float": (int, float),
    "float | None": (int, float, type(None)),
    "bool": (bool,),
    "str": (str,),
}


def check_types(config) -> None:
    """Every field of a config dataclass holds a value of its annotated type.

    ``True`` is not an int, ``20.7`` is not an int, a list is nothing; floats must be finite.

    Raises
    ------
    ConfigError
        Naming the first field of the wrong type.
    """
    for f in fields(config):
        value = getattr(config, f.name)
        allowed = _FIELD_TYPES.get(f.type, (object,))
        if isinstance(value, bool) and bool not in allowed:
            raise ConfigError(f"{f.name} must be {_type_name(f.type)}, got {value!r}")
        if not isinstance(value, allowed):
            raise ConfigError(f"{f.name} must be {_type_name(f.type)}, got {type(value).__name__} {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{f.name} must be a finite number, got {value!r}")


def _type_name(annotation: str) -> str:
    base = annotation.split(" |")[0]
    return {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string"}.get(base, base)


def check_memory_gib(memory: float, name: str = "memory") -> None:
    """A memory budget in GiB: finite, positive, and not beyond this machine's physical memory.

    Raises
    ------
    ConfigError
    """
    if isinstance(memory, bool) or not isinstance(memory, (int, float)) or not math.isfinite(memory) or memory <= 0:
        raise ConfigError(f"{name} must be a positive number of GiB, got {memory!r}")
    total = total_memory_bytes()
    if total is not None and memory * (1 << 30) > total:
        raise ConfigError(f"{name} {memory:g} GiB is more than this machine's {total / (1 << 30):.1f} GiB of memory")


def applicable_fields(cls, **selectors: str) -> set[str]:
    """Names of the fields of config class ``cls`` that apply under ``selectors``.

    A field whose ``only`` metadata names a selector value (``metadata={"only": {"loss": "ns"}}``)
    applies only when that selector has that value: ``negative`` only with ``loss="ns"``,
    ``cbow_mean`` only with ``architecture="cbow"``.
    """
    return {f.name for f in fields(cls) if all(selectors.get(k, v) == v for k, v in f.metadata.get("only", {}).items())}


def flagged_fields(cls, flag: str) -> set[str]:
    """Names of the fields of config class ``cls`` whose metadata sets ``flag`` (``run``, ``retrain``)."""
    return {f.name for f in fields(cls) if f.metadata.get(flag)}


def config_from_options(cls, options: dict):
    """Build the dataclass ``cls`` from the options it knows, ignoring None values."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in options.items() if k in names and v is not None})


def packaged_configs() -> list[str]:
    """Names of the packaged config files (``sgns``, ``glove``, ...), sorted."""
    return sorted(p.stem for p in PACKAGED_CONFIGS.glob("*.toml"))


def config_path(value: str | os.PathLike) -> Path:
    """The file ``--config VALUE`` names: a bare name without ``/`` or ``.toml`` (``glove``) is a
    packaged config; anything else (``configs/glove.toml``, ``./my.toml``) is a path.

    Raises
    ------
    ConfigError
        For a bare name that is not a packaged config (the message lists them).
    """
    text = os.fspath(value)
    if os.sep in text or "/" in text or text.endswith(".toml"):
        return Path(text)
    path = PACKAGED_CONFIGS / f"{text}.toml"
    if not path.is_file():
        raise ConfigError(
            f"no packaged config {text!r} (packaged: {', '.join(packaged_configs())}); "
            f"give a path for a file of your own, such as ./{text}"
        )
    return path


def load_toml(path: str | os.PathLike) -> dict:
    """Read a flat TOML table of option values.

    Raises
    ------
    ConfigError
        If the file is missing, not a regular file (a FIFO, a device), not UTF-8 text, not valid
        TOML, or holds a nested table.
    """
    try:
        table = tomllib.loads(read_text_file(path, "config", ConfigError))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    nested = [k for k, v in table.items() if isinstance(v, dict)]
    if nested:
        raise ConfigError(f"{path}: nested tables are not supported ({', '.join(nested)})")
    return table
