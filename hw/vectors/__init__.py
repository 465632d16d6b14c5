"""The plain Verilog testbench written beside golden vectors, and ``tritpack vectors``."""
