# The two commands a reader needs: `make run` and `make test`.
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
RESULTS ?= results
PROCESSES ?= 2
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test install check pytest dryrun lint docs clean

# the library and, as its own distribution, the demo system under test the suites check
$(STAMP): pyproject.toml demo/pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]' -e ./demo
	touch $(STAMP)

install: $(STAMP)

## run: every suite in parallel with pabot; results/ gets output.xml, log.html, report.html, xunit.xml
run: $(STAMP)
	@mkdir -p $(RESULTS)
	@$(BIN)/pabot --processes $(PROCESSES) --outputdir $(RESULTS) --xunit xunit.xml suites; rc=$$?; \
	  echo; echo "Report: $(abspath $(RESULTS))/report.html"; echo "Log:    $(abspath $(RESULTS))/log.html"; exit $$rc

## test: ruff and mypy, pytest against real services (the library's tests and the demo's), a dry run of every suite, and Robocop
test: check pytest dryrun lint

## check: ruff (lint and format) and mypy, configured in pyproject.toml
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest tests demo/tests

dryrun: $(STAMP)
	$(BIN)/robot --dryrun --outputdir $(RESULTS)/dryrun --log NONE --report NONE suites

lint: $(STAMP)
	$(BIN)/robocop check suites resources

## docs: keyword documentation with libdoc, for every library crosscheck registers (crosscheck._LIBRARIES)
docs: $(STAMP)
	@for lib in $$($(BIN)/python -c 'import crosscheck; print(" ".join(crosscheck._LIBRARIES))'); do \
	  $(BIN)/python -m robot.libdoc --format HTML crosscheck.$$lib docs/keywords/$$lib.html || exit 1; done

clean:
	rm -rf $(RESULTS)/* .pytest_cache
	@touch $(RESULTS)/.gitkeep
