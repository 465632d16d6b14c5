# tritpack — one-command set-up: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv tools test demo bench verilog vectors lint regress formal clean

# The venv is rebuilt only when pyproject.toml changes (idempotent).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

venv: $(STAMP)

# Icarus Verilog (simulation) and Verilator (lint) come from Debian.
tools:
	@./scripts/ensure-apt-tool iverilog iverilog
	@./scripts/ensure-apt-tool verilator verilator

# Lint and a quick benchmark run (proves `make bench` works; asserts nothing
# about speed) come first, so the last lines printed are pytest's summary.
test: venv tools lint
	$(BIN)/tritpack bench all --quick -o build/PERFORMANCE-quick.md
	$(BIN)/python -m pytest -n auto -q

demo: venv tools
	$(BIN)/tritpack demo

bench: venv tools
	$(BIN)/tritpack bench all

clean:
	rm -rf build out .pytest_cache

verilog: venv
	$(BIN)/tritpack verilog --lanes 64 --codec standard -o build/ternary_decoder.v

vectors: venv tools
	$(BIN)/tritpack vectors --lines 1000 --lanes 64 --invalid-rate 0.001 -o build/vectors --force

lint: venv tools
	$(BIN)/ruff check golden hw sim tests
	$(BIN)/python -m tritpack.hw.fpga.lint

regress: venv tools
	$(BIN)/tritpack regress

formal: venv
	$(BIN)/python -m tritpack.hw.formal --jobs 2
