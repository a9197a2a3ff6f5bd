# opencx-gateway: `make run` starts the daemon on ./config.yaml, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench emulator clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/opencx-gateway --config config.yaml run

test: $(STAMP)
	$(BIN)/ruff check gateway tests bench
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check gateway tests bench

bench: $(STAMP)
	$(BIN)/python -m bench.run

emulator: $(STAMP)
	$(BIN)/opencx-gateway --config config.yaml hubspot emulator

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
