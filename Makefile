# Two entry points, both self-contained on a fresh machine:
#   make demo  -> venv + torch 2.13.0 + package, then the main job on the bundled data
#   make test  -> same set-up, export drift check, nbdev_test, pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test export-check readme nbtest pytest clean

setup: $(STAMP)

$(STAMP): settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/sol_trainer demo $(DEMO_ARGS)

readme:
	$(PYTHON) .ci/readme.py

export-check: setup
	$(BIN)/nbdev_export
	$(BIN)/python .ci/readme.py --check
	@drift=$$(git status --porcelain -- sol_trainer); \
	if [ -n "$$drift" ]; then echo "nbdev_export changed the package (edit the notebooks, then export):"; echo "$$drift"; exit 1; fi

nbtest: setup
	$(BIN)/nbdev_test --n_workers 2

pytest: setup
	$(BIN)/python -m pytest -q tests

test: export-check nbtest pytest

clean:
	rm -rf $(VENV) _docs _proc runs
