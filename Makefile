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
	@$(BIN)/python -c 'from capnuoc_model.publish import render; render.vega_header()'  # the HTML's Vega bundle, built once
	@touch $(STAMP)

install: $(STAMP)

# The data check and the baseline tables are redone only when something they are made from changed (the data
# package, the assumptions and scenarios, the code, the installed packages), or when the baseline folder is gone.
# The two commands run at once (each mostly starts Python and reads the package).

# Every command here writes Python's bytecode caches (__pycache__, ignored by git) even where the environment sets
# PYTHONDONTWRITEBYTECODE: without them each process (capnuoc, the notebook kernels, every test worker) compiles
# the modules changed since the last cache again, and the tests' asserts are rewritten again on every run.
PY_ENV := PYTHONDONTWRITEBYTECODE=

BASELINE_INPUTS := $(shell find data analysis capnuoc_model -type f \( -name '*.csv' -o -name '*.yaml' -o -name '*.py' \) 2>/dev/null)
BASELINE_STAMP  := output/.cache/baseline.stamp
LOGS            := output/.cache/logs

BASELINE_OUT    := output/baseline
$(BASELINE_OUT)/manifest.json: ;

# They run at a lower priority (nice): the documents' job waits for nothing they make, while its projection and its
# chapters are what everything else waits for; the two take the CPU the documents leave idle.
SIDE := $(shell command -v nice >/dev/null 2>&1 && echo nice -n 10)

# Their messages wait in $(LOGS) while the documents are made beside them (see `report`), and are shown once both are
# done; at once, on standard error, if one failed (validate's alone when the data failed it: baseline says the same).
$(BASELINE_STAMP): $(STAMP) $(BASELINE_INPUTS) $(BASELINE_OUT)/manifest.json
	@echo "$(BIN)/capnuoc validate & $(BIN)/capnuoc baseline --out $(BASELINE_OUT)"
	@mkdir -p $(LOGS); rm -f $(LOGS)/shown; \
	$(PY_ENV) $(SIDE) $(BIN)/capnuoc validate > $(LOGS)/validate.txt 2>&1 & check=$$!; \
	$(PY_ENV) $(SIDE) $(BIN)/capnuoc baseline --out $(BASELINE_OUT) > $(LOGS)/baseline.txt 2>&1; tables=$$?; \
	wait $$check; checked=$$?; \
	if test $$checked -eq 0 && test $$tables -eq 0; then touch $@; \
	elif test $$checked -ne 0; then cat $(LOGS)/validate.txt >&2; touch $(LOGS)/shown; exit 1; \
	else cat $(LOGS)/baseline.txt >&2; touch $(LOGS)/shown; exit 1; fi

# The documents are made again only when something they are made from changed (the data package, the assumptions and
# scenarios, the notebooks, _quarto*.yml, the code, the templates in report/, the installed packages), or when a document
# folder of the last run is gone. `capnuoc report all` would find them unchanged too, but starting it takes seconds.
REPORT_INPUTS := $(shell find data analysis notebooks report capnuoc_model -type f -not -path '*/__pycache__/*' 2>/dev/null) $(wildcard _quarto*.yml)
REPORT_STAMP  := output/.cache/report-all.stamp
REPORT_OUTPUTS := $(shell cat $(REPORT_STAMP) 2>/dev/null)
ifneq ($(strip $(REPORT_OUTPUTS)),)
$(REPORT_OUTPUTS): ;
endif

$(REPORT_STAMP): $(STAMP) $(REPORT_INPUTS) $(REPORT_OUTPUTS)
	@echo "$(BIN)/capnuoc report all"
	@$(PY_ENV) $(BIN)/capnuoc report all
	@mkdir -p $(dir $@) && ls -d output/report/baseline/manifest.json output/evaluation/*/manifest.json > $@ 2>/dev/null || true

# The baseline tables and the documents are made side by side (make -j2): the documents' job leaves a core idle for
# seconds at a time (starting, reading, a document's last chapter, writing), which `validate` and `baseline` fill.
report: install
	@$(MAKE) --no-print-directory --silent -j2 $(BASELINE_STAMP) $(REPORT_STAMP)
	@if test -f $(LOGS)/validate.txt && ! test -f $(LOGS)/shown; then cat $(LOGS)/validate.txt $(LOGS)/baseline.txt; touch $(LOGS)/shown; fi
	@echo "Các tài liệu trong output/report/ và output/evaluation/ (HTML, PDF, DOCX) khớp với dữ liệu, giả định, notebook và mã hiện tại."


# the suite on every core (pytest-xdist); each test file stays on one worker, so a module's fixtures are built once
# (the modules that use the rendered documents or the report inputs share one: xdist_scope in tests/conftest.py)
test: install
	$(PY_ENV) $(BIN)/python -m pytest -n auto --dist loadfile

# for developers: the fast tier, without notebook execution, rendering, whole commands that make a projection and
# CLI subprocesses (tests marked `slow`), with a few examples of each property test and a few cases of each table of
# cases that load a package; under a minute on 2 cores
test-fast: install
	$(PY_ENV) $(BIN)/python -m pytest -n auto --dist loadfile -m "not slow"

help:
	@echo "make report     set up .venv if needed, check the data, write the baseline tables, render the plan and the evaluation (HTML, PDF, DOCX)"
	@echo "make test       set up .venv if needed, run the whole test suite on every core"
	@echo "make test-fast  (developers) the fast tier: every test not marked slow, under a minute"

clean-venv:
	rm -rf $(VENV)
