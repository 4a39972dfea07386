# Every target bootstraps .venv itself, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

# Reinstall only when the package metadata changed.
$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/runner serve

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info

lint: $(STAMP)
	$(BIN)/lint-imports setup.cfg

# The benchmark against Taipy (installed on first use into .bench/taipy-venv). QUICK=1: < 3 min.
bench: $(STAMP)
	$(BIN)/python -m tests.bench.bench $(if $(QUICK),--quick)
