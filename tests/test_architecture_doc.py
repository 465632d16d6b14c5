"""docs/ARCHITECTURE.md stays a true map of the source tree.

Every path it names exists; every package folder is named, and every module at
the top of a package is named by its path (subpackages may be described as a
whole).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
TOPS = ("tritpack", "golden", "hw", "sim")
PATH_RE = re.compile(r"`((?:tritpack|golden|hw|sim|tests|scripts|docs)/[\w./-]*)`")


def missing_paths(root: Path, doc: str) -> list[str]:
    return sorted(p for p in set(PATH_RE.findall(doc)) if not (root / p).exists())


def unnamed(root: Path, doc: str) -> list[str]:
    out = []
    for top in TOPS:
        for init in sorted((root / top).rglob("__init__.py")):
            folder = init.parent.relative_to(root).as_posix() + "/"
            if f"`{folder}" not in doc:
                out.append(folder)
        for module in sorted((root / top).glob("*.py")):
            rel = module.relative_to(root).as_posix()
            if module.name not in ("__init__.py", "__main__.py") and f"`{rel}`" not in doc:
                out.append(rel)
    return out


def test_every_named_path_exists():
    assert missing_paths(ROOT, DOC.read_text()) == []


def test_every_package_and_top_module_is_named():
    assert unnamed(ROOT, DOC.read_text()) == []


def test_the_checks_can_fail(tmp_path):
    (tmp_path / "hw" / "fpga").mkdir(parents=True)
    for f in ("hw/__init__.py", "hw/fpga/__init__.py", "hw/decoder.py", "hw/new.py"):
        (tmp_path / f).write_text("")
    doc = "`hw/` `hw/decoder.py` `hw/gone.py`"
    assert missing_paths(tmp_path, doc) == ["hw/gone.py"]
    assert unnamed(tmp_path, doc) == ["hw/fpga/", "hw/new.py"]
