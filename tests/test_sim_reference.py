"""The scoreboard's expected transfers, checked against hand calculations."""

import numpy as np
import pytest

from tritpack import golden
from tritpack.sim.reference import expected_transfers, line_ints, transfer_trits
from tritpack.sim.stimulus import exhaustive_lines, invalid_lines, weight_lines


def _line(first_bytes, fill=0):
    line = np.full((1, 64), fill, dtype=np.uint8)
    line[0, :len(first_bytes)] = first_bytes
    return line


def test_line_int_puts_byte_k_at_bits_8k():
    line = _line([0x01, 0x02])
    assert line_ints(line) == [0x0201]


def test_standard_codes_by_hand():
    # standard: code = d0 + 3 d1 + ..., d = t mod 3; trit 2-bit two's complement.
    # code 1 -> t0 = +1 -> 0b01; code 2 -> t0 = -1 -> 0b11; code 3 -> t1 = +1 -> 0b0100.
    exp = expected_transfers(_line([1, 2, 3]), "standard", lanes=1)
    assert exp.data[:4] == [0b01, 0b11, 0b0100, 0]
    assert exp.user == [0] * 64
    # 242 = 2 + 2*3 + 2*9 + 2*27 + 2*81: five -1 trits, all ten bits set.
    exp64 = expected_transfers(np.full((1, 64), 242, np.uint8), "standard", lanes=64)
    assert exp64.data == [(1 << 640) - 1] and exp64.user == [0]


def test_invalid_code_is_zero_and_flags_only_its_transfer():
    exp = expected_transfers(_line([1, 0, 0, 0, 0, 0, 0, 0, 255]), "standard", lanes=8)
    assert exp.data[0] == 0b01 and exp.data[1] == 0  # byte 8 (invalid) is lane 0 of beat 1
    assert exp.user == [0, 1, 0, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
@pytest.mark.parametrize("lanes", [64, 8, 1])
def test_expected_round_trips_through_golden_decode(codec, lanes):
    lines = weight_lines(np.random.default_rng(0), 3, codec)
    exp = expected_transfers(lines, codec, lanes)
    trits = np.concatenate([transfer_trits(v, lanes) for v in exp.data])
    assert np.array_equal(trits, golden.decode(lines, codec))
    assert len(exp.data) == 3 * 64 // lanes


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
@pytest.mark.parametrize("lanes", golden.LANES)
def test_exhaustive_lines_pass_every_code_through_every_lane(codec, lanes):
    lines = exhaustive_lines(codec, lanes)
    valid = np.flatnonzero(golden.get_lut(codec).valid)
    # The bytes of each lane: byte p of a line reaches lane p mod lanes.
    by_lane = lines.reshape(-1, lanes)
    for j in range(lanes):
        assert set(by_lane[:, j].tolist()) == set(valid.tolist()), f"lane {j}"
    # No waste: one line more than the 243 transfers need, at most.
    assert lines.shape == (-(-243 * lanes // 64), 64)


def test_exhaustive_lines_at_lanes_1_are_4_lines_not_243():
    assert exhaustive_lines("standard", 1).shape == (4, 64)
    assert exhaustive_lines("standard", 64).shape == (243, 64)


def test_invalid_lines_put_an_invalid_code_where_asked():
    lut = golden.get_lut("tq1")
    lines = invalid_lines(np.random.default_rng(1), "tq1", [0, 63, 5])
    bad = ~lut.valid[lines]
    assert [np.flatnonzero(row).tolist() for row in bad] == [[0], [63], [5]]
