# The README's commands. Each creates or reuses the project's virtual environment.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := $(VENV)/share/jupyter/kernels/evaluation/kernel.json

.PHONY: report test lab bench clean-reports

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the package metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	touch $(STAMP)

$(KERNEL): $(STAMP)
	$(BIN)/python -m evaluation.kernel

report: $(KERNEL)
	$(BIN)/evaluation report --all

test: $(KERNEL)
	$(BIN)/python -m pytest

# Jupyter refuses to start as root without --allow-root (containers, some servers).
lab: $(KERNEL)
	$(BIN)/jupyter lab notebooks/ $$(if [ "$$(id -u)" = 0 ]; then echo --allow-root; fi)

bench: $(KERNEL)
	$(BIN)/python benchmarks/run.py

clean-reports:
	rm -rf reports/*/ reports/index.html
