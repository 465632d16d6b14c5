"""Markers shared by the test modules.

``@pytest.mark.needs_iverilog``, ``needs_verilator``, ``needs_sby`` and
``needs_cc`` skip a test, saying why, when the tool is not on PATH; ``slow``
marks a test of more than a few seconds, left out of ``make test`` (``make test-all`` runs it).
Shared helpers are in ``utils.py``: test modules never import each other.
"""

from __future__ import annotations

import shutil

import pytest

#: marker -> executables, any of which satisfies it
TOOLS = {
    "needs_iverilog": ("iverilog",),
    "needs_verilator": ("verilator",),
    "needs_sby": ("yowasp-sby", "sby"),
    "needs_cc": ("cc", "gcc"),
}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a test that takes more than a few seconds")
    for marker, tools in TOOLS.items():
        config.addinivalue_line("markers", f"{marker}: skip unless {' or '.join(tools)} is on PATH")


def pytest_runtest_setup(item):
    for marker, tools in TOOLS.items():
        if item.get_closest_marker(marker) and not any(shutil.which(t) for t in tools):
            pytest.skip(f"needs {tools[0]} on PATH")
