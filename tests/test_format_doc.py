"""docs/FORMAT.md and the golden model agree.

Every ```tritpack-example``` block, every ``<!-- invalid-codes: C -->`` list
and every ``<!-- hex-excerpt... -->`` block of the document is parsed here and
checked against the code.  Worked examples are hand calculations in the
document; the test checks the code reproduces them.
"""

import re
from pathlib import Path

import numpy as np
import pytest

from tritpack import golden
from tritpack.golden import lut_io

from utils import doc_examples

DOC = Path(__file__).resolve().parents[1] / "docs" / "FORMAT.md"
TEXT = DOC.read_text(encoding="utf-8")


def _examples() -> list[dict]:
    return doc_examples(TEXT, "tritpack-example")


def _trits(text: str) -> np.ndarray:
    return np.array([int(t) for t in text.split()], dtype=np.int8)


def _hexes(text: str) -> list[int]:
    return [int(b, 16) for b in text.split()]


EXAMPLES = _examples()


def test_document_has_examples_for_every_section():
    kinds = {tuple(sorted(e)) for e in EXAMPLES}
    assert len(EXAMPLES) >= 7
    assert any("error-offset" in k for k in kinds)
    assert any("block" in k for k in kinds)
    assert {e["codec"] for e in EXAMPLES} == set(golden.CODEC_NAMES)


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda e: " ".join(f"{k}={v}" for k, v in e.items()))
def test_example(ex):
    known = {"codec", "trits", "bytes", "rows", "block", "size", "fill",
             "error-offset", "masked-trits", "valid"}
    assert set(ex) <= known, f"unknown keys {set(ex) - known} in a FORMAT.md example"
    codec = ex["codec"]
    data = np.array(_hexes(ex["bytes"]), dtype=np.uint8)
    if "block" in ex:
        packed = golden.pack(_trits(ex["trits"]), codec, block=int(ex["block"]))
        assert packed.data.size == int(ex["size"])
        assert packed.data[: data.size].tolist() == data.tolist()
        assert (packed.data[data.size:] == int(ex["fill"], 16)).all()
        assert np.array_equal(golden.unpack(packed), _trits(ex["trits"]))
    elif "error-offset" in ex:
        with pytest.raises(golden.InvalidCodeError) as info:
            golden.decode(data, codec)
        assert info.value.offset == int(ex["error-offset"])
        assert info.value.value == data[info.value.offset]
        trits, valid = golden.decode(data, codec, on_invalid="mask")
        assert trits.tolist() == _trits(ex["masked-trits"]).tolist()
        assert valid.astype(int).tolist() == [int(v) for v in ex["valid"].split()]
    else:
        trits = _trits(ex["trits"])
        assert golden.encode(trits, codec).tolist() == data.tolist()
        assert golden.decode(data, codec).tolist() == trits.tolist()
    if "rows" in ex:
        assert lut_io.lut_rows(codec)[data].tolist() == _hexes(ex["rows"])


@pytest.mark.parametrize("codec", golden.CODEC_NAMES)
def test_invalid_code_list(codec):
    m = re.search(rf"<!-- invalid-codes: {codec} -->\n(.*)\n", TEXT)
    assert m, f"FORMAT.md lists no invalid codes for {codec}"
    assert _hexes(m.group(1)) == golden.get_lut(codec).invalid_codes.tolist()


@pytest.mark.parametrize("marker", ["hex-excerpt", "hex-excerpt-tail"])
def test_hex_excerpt(marker):
    m = re.search(rf"<!-- {marker}: (\w+) -->\n```\n(.*?)```", TEXT, flags=re.S)
    assert m, f"FORMAT.md has no {marker}"
    excerpt = m.group(2).splitlines()
    lines = lut_io.to_hex(m.group(1)).splitlines()
    if marker == "hex-excerpt":
        assert lines[: len(excerpt)] == excerpt
    else:
        start = lines.index(excerpt[0])
        assert lines[start: start + len(excerpt)] == excerpt


def test_two_bit_field_table():
    table = re.search(r"\| trit \| field \|\n.*?\n((?:\|.*\|\n)+)", TEXT).group(1)
    fields = {}
    for row in table.strip().splitlines():
        trit, field = (c.strip(" `") for c in row.strip("|").split("|"))
        fields[int(trit)] = int(field, 2)
    rows = lut_io.lut_rows("standard")
    for trit, field in fields.items():
        code = golden.encode([trit, 0, 0, 0, 0])[0]
        assert rows[code] == field
    assert fields == {1: 0b01, 0: 0b00, -1: 0b11}
