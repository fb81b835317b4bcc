# The two commands a reader needs: `make run` and `make test`.
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
RESULTS ?= results
PROCESSES ?= 2
# the verdict after `make run`: BASELINE=baseline.json compares performance with a saved baseline;
# VERDICT_GATE=1 makes a NO-GO (1), UNDECIDED (2) or unreadable run (3) the exit code of `make run`
BASELINE ?=
VERDICT_GATE ?=
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test install check pytest dryrun lint docs clean

# the library and, as distributions of their own, the demo system under test the suites check (its four
# repositories and crosscheck-demo, which deploys them)
$(STAMP): pyproject.toml demo/pyproject.toml demo/shared/pyproject.toml demo/producer/pyproject.toml \
          demo/consumer/pyproject.toml demo/gateway/pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,milvus]' -e ./demo/shared -e ./demo/producer -e ./demo/consumer \
	  -e ./demo/gateway -e ./demo
	touch $(STAMP)

install: $(STAMP)

## run: every suite in parallel with pabot, then the Go/No-Go verdict; results/ gets output.xml, log.html,
## report.html, xunit.xml, verdict.html, figures.json. Exits with pabot's code (the verdict's with VERDICT_GATE=1).
run: $(STAMP)
	@mkdir -p $(RESULTS)
	@$(BIN)/pabot --processes $(PROCESSES) --outputdir $(RESULTS) --xunit xunit.xml suites; rc=$$?; \
	  echo; against=; \
	  if [ -n "$(BASELINE)" ]; then \
	    if [ -f "$(BASELINE)" ]; then against="--baseline $(BASELINE)"; \
	    else echo "BASELINE=$(BASELINE) does not exist: performance is not compared (save one with: crosscheck baseline save $(RESULTS) -o $(BASELINE))"; fi; \
	  fi; \
	  $(BIN)/crosscheck verdict $(RESULTS) $$against; vrc=$$?; \
	  if [ $$vrc -eq 3 ]; then echo "Report: $(abspath $(RESULTS))/report.html"; echo "Log:    $(abspath $(RESULTS))/log.html"; fi; \
	  if [ "$(VERDICT_GATE)" = "1" ] && [ $$vrc -ne 0 ]; then exit $$vrc; fi; exit $$rc

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
	$(BIN)/robocop check suites resources libraries/crosscheck/resources

## docs: keyword documentation with libdoc, for every library crosscheck registers (crosscheck._LIBRARIES)
docs: $(STAMP)
	@for lib in $$($(BIN)/python -c 'import crosscheck; print(" ".join(crosscheck._LIBRARIES))'); do \
	  $(BIN)/python -m robot.libdoc --format HTML crosscheck.$$lib docs/keywords/$$lib.html || exit 1; \
	  sed -i 's#"$(CURDIR)/#"#g' docs/keywords/$$lib.html; done  # source paths relative to the repository

clean:
	rm -rf $(RESULTS)/* .pytest_cache
	@touch $(RESULTS)/.gitkeep
