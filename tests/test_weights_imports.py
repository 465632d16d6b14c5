"""Importing the weights package (and what ``tritpack --help`` loads) stays cheap.

``ml_dtypes`` alone takes seconds to import; the optional libraries of the
``weights`` extra are imported on first use, not when the plugin or the
package's modules are loaded.
"""

import subprocess
import sys

import pytest

HEAVY = ("ml_dtypes", "tqdm", "gguf", "safetensors")


@pytest.mark.parametrize("modules", [
    "tritpack.golden.weights, tritpack.golden.weights.commands",
    "tritpack.golden.weights.stfile, tritpack.golden.weights.container, "
    "tritpack.golden.weights.sources, tritpack.golden.weights.pack, "
    "tritpack.golden.weights.transcode",
])
def test_import_loads_no_optional_library(modules):
    code = (f"import sys, {modules}\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "", f"importing {modules} imported {out}"


def test_bf16_and_f8_dtypes_on_first_use():
    import ml_dtypes
    import numpy as np

    from tritpack.golden.weights import stfile

    assert stfile.DTYPES["BF16"] == np.dtype(ml_dtypes.bfloat16)
    assert stfile.DTYPES["F8_E4M3"] == np.dtype(ml_dtypes.float8_e4m3fn)
    assert stfile.DTYPES["F8_E5M2"] == np.dtype(ml_dtypes.float8_e5m2)
    assert "BF16" in stfile.DTYPES
    assert stfile.dtype_name(ml_dtypes.bfloat16) == "BF16"
    assert list(stfile.DTYPES)[:6] == ["F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"]
