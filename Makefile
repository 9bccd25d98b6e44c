# Set-up and everyday commands. Everything runs inside ./.venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install lint test demo bench bench-word2vec bench-count clean

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

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

# Side-by-side benchmarks (tens of minutes). STANFORD_GLOVE=DIR adds Stanford GloVe's pipeline.
bench: bench-word2vec bench-count

bench-word2vec: $(STAMP)
	$(BIN)/python scripts/bench.py

bench-count: $(STAMP)
	$(BIN)/python scripts/bench_count.py $(if $(STANFORD_GLOVE),--stanford-glove $(STANFORD_GLOVE))

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info demo .pytest_cache
