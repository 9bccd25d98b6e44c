# Set-up and everyday commands. Everything runs inside ./.venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install lint test test-fast demo bench bench-word2vec bench-count bench-ann bench-fasttext bench-phrases bench-sharded bench-cluster-train clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

test: lint
	$(BIN)/python -m pytest -q

# The tests that need neither the shared data nor long runs (under a minute): deselects the
# markers slow (subprocess and kill -9 runs, t-SNE, gensim at full size) and realdata (conftest).
test-fast: lint
	$(BIN)/python -m pytest -q -m "not slow and not realdata"

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# Side-by-side benchmarks (scripts/bench_suite.py; the whole suite takes 1.5-2 hours on 2 cores and wants an
# idle machine). `make bench` runs every row and rewrites README's generated table from the new
# bench/suite-*.json; BENCH_ARGS adds options (--strict, --only sgns,cbow, --max-load 1);
# STANFORD_GLOVE=DIR adds Stanford GloVe's pipeline. `make bench-readme [SUITE=bench/suite-X.json]`
# regenerates the README table from a suite file (default: the newest).
BENCH_SUITE = $(BIN)/python scripts/bench_suite.py $(if $(STANFORD_GLOVE),--stanford-glove $(STANFORD_GLOVE)) $(BENCH_ARGS)

bench: $(STAMP)
	$(BENCH_SUITE) --readme README.md
	$(BIN)/python scripts/bench_ann.py $(if $(ANN_REAL),--real $(ANN_REAL))

# The neighbour index against the exact scan at 1,000,000 x 300 (about 10 minutes; ANN_REAL=FILE
# adds a trained vectors file).
bench-ann: $(STAMP)
	$(BIN)/python scripts/bench_ann.py $(if $(ANN_REAL),--real $(ANN_REAL))

# Subword skip-gram against fastText 0.9.2 at fastText's defaults, 2 runs each alternating
# (about 25 minutes), and phrases + SGNS on the phrased corpus (about 5 minutes).
bench-fasttext: $(STAMP)
	$(BIN)/python scripts/bench_fasttext.py

bench-phrases: $(STAMP)
	$(BIN)/python scripts/bench_phrases.py

# The corpus pass and co-occurrence counting in one process against --cluster local:2, on the
# shared corpus concatenated 4x (about 6 minutes, 2 GB of temporary disk).
bench-sharded: $(STAMP)
	$(BIN)/python scripts/bench_sharded.py

# Data-parallel training: SGNS (one process vs local:2 and local:4), then GloVe (vs local:2).
bench-cluster-train: $(STAMP)
	$(BIN)/python scripts/bench_cluster_train.py --model sgns --workers 2 4
	$(BIN)/python scripts/bench_cluster_train.py --model glove --workers 2

bench-word2vec: $(STAMP)
	$(BENCH_SUITE) --only sgns,cbow,sg-hs,cbow-hs

bench-count: $(STAMP)
	$(BENCH_SUITE) --only glove,ppmi,lsa

.PHONY: bench-readme
bench-readme: $(STAMP)
	$(BIN)/python scripts/bench_table.py $(SUITE) --readme README.md

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info demo .pytest_cache
