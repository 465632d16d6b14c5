"""The formal proofs of the decode engine.

Property harnesses and mutants are in :mod:`.properties`, the SymbiYosys runner
in :mod:`.runner` (``python -m tritpack.hw.formal``).
"""
