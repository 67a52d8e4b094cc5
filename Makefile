# Two commands for people (see README.md): `make report` and `make test`; `make test-fast` for developers, `make help` lists them.
# Both set up .venv when it is missing or when pyproject.toml / constraints.txt changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install report test test-fast help clean-venv

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "capnuoc needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# The data check and the baseline tables are redone only when something they are made from changed (the data
# package, the assumptions and scenarios, the code, the installed packages); `capnuoc report all` itself reuses
# every document whose inputs (data, scenario, notebooks, templates, code) hash the same, so an unchanged rerun
# only checks hashes.
BASELINE_INPUTS := $(shell find data analysis capnuoc_model -type f \( -name '*.csv' -o -name '*.yaml' -o -name '*.py' \) 2>/dev/null)

output/baseline/manifest.json: $(STAMP) $(BASELINE_INPUTS)
	$(BIN)/capnuoc validate
	$(BIN)/capnuoc baseline --out output/baseline

report: install output/baseline/manifest.json
	$(BIN)/capnuoc report all

# the suite on every core (pytest-xdist); each test file stays on one worker, so a module's fixtures are built once
test: install
	$(BIN)/python -m pytest -n auto --dist loadfile

# for developers: the fast tier, without notebook execution, rendering, CLI subprocesses and long hypothesis
# searches (tests marked `slow`); under a minute on 2 cores
test-fast: install
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not slow"

help:
	@echo "make report     set up .venv if needed, check the data, write the baseline tables, render the plan and the evaluation (HTML, PDF, DOCX)"
	@echo "make test       set up .venv if needed, run the whole test suite on every core"
	@echo "make test-fast  (developers) the fast tier: every test not marked slow, under a minute"

clean-venv:
	rm -rf $(VENV)
