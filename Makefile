# The two commands a reader needs: `make run` and `make test`.
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
RESULTS ?= results
PROCESSES ?= 2
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test install pytest dryrun lint docs clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: every suite in parallel with pabot; results/ gets output.xml, log.html, report.html, xunit.xml
run: $(STAMP)
	@mkdir -p $(RESULTS)
	@$(BIN)/pabot --processes $(PROCESSES) --outputdir $(RESULTS) --xunit xunit.xml suites; rc=$$?; \
	  echo; echo "Report: $(abspath $(RESULTS))/report.html"; echo "Log:    $(abspath $(RESULTS))/log.html"; exit $$rc

## test: pytest against real services, a dry run of every suite, and Robocop
test: pytest dryrun lint

pytest: $(STAMP)
	$(BIN)/python -m pytest tests

dryrun: $(STAMP)
	$(BIN)/robot --dryrun --outputdir $(RESULTS)/dryrun --log NONE --report NONE suites

lint: $(STAMP)
	$(BIN)/robocop check suites resources

## docs: keyword documentation with libdoc
docs: $(STAMP)
	@for lib in Stack Messaging Postgres Vectors Sandbox Contracts Metrics; do \
	  $(BIN)/python -m robot.libdoc --format HTML crosscheck.$$lib docs/keywords/$$lib.html || exit 1; done

clean:
	rm -rf $(RESULTS)/* .pytest_cache
	@touch $(RESULTS)/.gitkeep
