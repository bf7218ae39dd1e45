# The two commands a newcomer runs: `make check` (bqlint over the bundled PL011)
# and `make test` (the whole suite). Both set up .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: check test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

check: $(STAMP)
	$(BIN)/bqlint check runtime/

# CI adds PYTEST_ARGS="--bql-crosscheck ..." (.ci/run): the suite checks bqlint against the runtime.
test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/runtime_bench.py
	$(BIN)/python bench/lint_bench.py

clean:
	rm -rf $(VENV) .bqlint_cache
