# Two entry points, both self-contained on a fresh machine:
#   make demo  -> venv + torch 2.13.0 + package, then the main job on the bundled data
#   make test  -> same set-up, export drift check, nbdev_test, pytest
#   make mintest -> a second venv (.venv-min) with every settings.ini requirement at its floor, then the fast tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test export-check readme nbtest pytest mintest clean docs

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

# make docs -> the notebooks, executed, as a static MkDocs Material site in _docs/ (no Quarto needed);
# re-executes only changed notebooks: make docs DOCS_ARGS=--force runs all, DOCS_ARGS="--flags slow" adds slow cells
DOCS_PKGS := "mkdocs>=1.6,<2" "mkdocs-material>=9.5,<10" "mkdocs-jupyter>=0.25,<0.27"
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q $(DOCS_PKGS)
	touch $(DOCS_STAMP)

docs: setup $(DOCS_STAMP)
	$(BIN)/python .ci/docs.py $(DOCS_ARGS)
	@echo "Browse with: $(BIN)/python -m http.server -d _docs 8000  (search needs a server; pages also open from files)"

export-check: setup
	$(BIN)/nbdev_export
	$(BIN)/python .ci/readme.py --check
	@drift=$$(git status --porcelain -- sol_trainer); \
	if [ -n "$$drift" ]; then echo "nbdev_export changed the package (edit the notebooks, then export):"; echo "$$drift"; exit 1; fi

nbtest: setup
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2

pytest: setup
	$(BIN)/python -m pytest -q tests

test: export-check nbtest pytest

# make mintest -> are the declared floors true? .ci/min_requirements.py pins every requirement of `.[dev]` at the
# lowest version settings.ini allows (>=X becomes ==X; the rest resolves normally) into a fresh $(MIN_VENV), then
# the same fast tests run there (one thread each, as nbtest). torch's floor comes from PyPI (a CUDA build; it runs on the CPU).
MIN_VENV ?= .venv-min
MIN_BIN := $(MIN_VENV)/bin
MIN_STAMP := $(MIN_VENV)/.installed

$(MIN_STAMP): settings.ini setup.py .ci/min_requirements.py
	rm -rf $(MIN_VENV)
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_BIN)/python -m pip install -q --upgrade pip
	$(MIN_BIN)/python .ci/min_requirements.py -o $(MIN_VENV)/requirements-min.txt
	$(MIN_BIN)/python -m pip install -q -r $(MIN_VENV)/requirements-min.txt
	$(MIN_BIN)/python -m pip install -q --no-deps -e .
	$(MIN_BIN)/python -m pip check
	touch $(MIN_STAMP)

mintest: $(MIN_STAMP)
	$(MIN_BIN)/python .ci/min_requirements.py --installed
	OMP_NUM_THREADS=1 $(MIN_BIN)/nbdev_test --n_workers 2
	OMP_NUM_THREADS=1 $(MIN_BIN)/python -m pytest -q -p no:cacheprovider tests

clean:
	rm -rf $(VENV) $(MIN_VENV) _docs _proc _mkdocs runs
