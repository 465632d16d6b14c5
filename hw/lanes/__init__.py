"""Alternative byte decoders for :class:`hw.lane.LaneDecoder`.

Each module holds one microarchitecture of the per-byte decode (8-bit code in,
five 2-bit trits and an invalid flag out); see :mod:`hw.lanes.arith`.
"""
