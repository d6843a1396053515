# Everything a fresh machine needs (Python 3.11, git, make) is set up by these targets.
# `make demo` runs the main job on embedded defaults; `make test` runs the whole suite.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck schemas check bench lock clean

$(STAMP): requirements.lock pyproject.toml setup.py connectors/mpluskassa/_soap_decoder.pyx
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

TENANT ?= bakkerij-jansen

demo: $(STAMP)
	$(BIN)/koppel demo --tenant $(TENANT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy reconciler connectors

schemas: $(STAMP)
	$(BIN)/koppel schemas --write

check: lint typecheck test
	$(BIN)/koppel schemas --check

bench: $(STAMP)
	$(BIN)/python -m bench

# Re-resolve the pinned dependency set after changing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
