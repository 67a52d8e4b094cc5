# Two commands for people (see README.md): `make report` and `make test`.
# Both set up .venv when it is missing or when pyproject.toml / constraints.txt changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install report test clean-venv

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "capnuoc needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

report: install
	$(BIN)/capnuoc validate
	$(BIN)/capnuoc baseline --out output/baseline
	$(BIN)/capnuoc report all

# the suite on every core (pytest-xdist); each test file stays on one worker, so a module's fixtures are built once
test: install
	$(BIN)/python -m pytest -n auto --dist loadfile

clean-venv:
	rm -rf $(VENV)
