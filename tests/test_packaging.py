"""The package as installed: its package list, its import names, its version, and
how the command line treats a plugin whose extra is missing.

The built wheel itself is exercised in fresh venvs by ``make check-wheel``
(scripts/check_wheel.py), which ``make test`` runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import EntryPoint, version
from pathlib import Path

import pytest

import tritpack
from tritpack import cli

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: Folder of each top-level package in the source tree.
FOLDERS = {"tritpack": "tritpack", "tritpack.golden": "golden", "tritpack.hw": "hw",
           "tritpack.sim": "sim"}
BARE_IMPORT = re.compile(r"^\s*(?:import|from)\s+(golden|hw|sim)(?:\.|\s|$)", re.M)


def source_packages() -> list[str]:
    found = []
    for name, folder in FOLDERS.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT / folder)
            found.append(".".join([name, *rel.parts]))
    return sorted(found)


def test_every_package_is_listed_and_mapped():
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert sorted(setuptools["packages"]) == source_packages()
    assert setuptools["package-dir"] == FOLDERS


def test_no_bare_top_level_imports():
    # The folders install as tritpack.golden, .hw, .sim: `import golden` would only
    # work from a checkout.  (Relative imports inside a package are fine.)
    offenders = []
    for folder in ("tritpack", "golden", "hw", "sim", "tests", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for m in BARE_IMPORT.finditer(path.read_text()):
                line = path.read_text().count("\n", 0, m.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {m.group(0).strip()}")
    assert offenders == []


def test_bare_import_rule_catches_an_offender():
    assert BARE_IMPORT.search("import golden\n")
    assert BARE_IMPORT.search("    from hw.decoder import TernaryDecoder\n")
    assert not BARE_IMPORT.search("from tritpack import golden\nimport hwloc\n")


def test_version():
    assert tritpack.__version__ == version("tritpack") == PYPROJECT["project"]["version"]
    out = subprocess.run([sys.executable, "-m", "tritpack", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == f"tritpack {tritpack.__version__}"


def test_every_extra_named_by_the_cli_exists():
    extras = set(PYPROJECT["project"]["optional-dependencies"])
    assert set(cli.EXTRA_OF_MODULE.values()) <= extras


def test_plugin_needing_a_missing_extra_is_listed_and_says_which(monkeypatch, capsys,
                                                                 tmp_path):
    tmp_module(monkeypatch, tmp_path, "_tritpack_good", "def register(sub):\n"
               "    sub.add_parser('good', help='fine').set_defaults(func=lambda args: 0)\n")
    tmp_module(monkeypatch, tmp_path, "_tritpack_needy", "import amaranth\n")
    monkeypatch.setitem(sys.modules, "amaranth", None)  # import amaranth -> ModuleNotFoundError
    eps = [EntryPoint("good", "_tritpack_good:register", "tritpack.commands"),
           EntryPoint("needy", "_tritpack_needy:register", "tritpack.commands")]
    monkeypatch.setattr(cli, "entry_points", lambda group: eps)
    assert "needs the 'hw' extra" in cli.build_parser().format_help()
    assert cli.main(["needy"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["tritpack needy: needs the 'hw' extra (amaranth is not installed): "
                   "pip install 'tritpack[hw]'"]
    assert cli.main(["good"]) == 0


def test_plugin_broken_otherwise_is_not_hidden(monkeypatch, tmp_path):
    eps = [EntryPoint("broken", "_tritpack_broken:register", "tritpack.commands")]
    tmp_module(monkeypatch, tmp_path, "_tritpack_broken", "import tritpack.no_such_module\n")
    monkeypatch.setattr(cli, "entry_points", lambda group: eps)
    with pytest.raises(ModuleNotFoundError, match="tritpack.no_such_module"):
        cli.build_parser()


def tmp_module(monkeypatch, d: Path, name: str, source: str) -> Path:
    """Write ``source`` as module ``name`` into ``d``, put first on sys.path."""
    (d / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(d))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return d / f"{name}.py"


def test_built_wheel_holds_every_package(tmp_path):
    # Built as make check-wheel builds it: from the files a fresh clone would hold.
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_wheel.py"),
                          "--build-only", str(tmp_path)], capture_output=True, text=True,
                         check=True)
    wheel = Path(out.stdout.strip())
    names = zipfile.ZipFile(wheel).namelist()
    inits = sorted(n[: -len("/__init__.py")].replace("/", ".")
                   for n in names if n.endswith("/__init__.py"))
    assert inits == source_packages()
    assert "tritpack-0.1.0.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if n.split("/")[0] in ("golden", "hw", "sim", "tests")]
    # The Verilog the package reads at run time ships with it.
    source_v = sorted(f"tritpack/{p.relative_to(ROOT)}" for f in ("golden", "hw", "sim")
                      for p in (ROOT / f).rglob("*.v"))
    assert source_v and sorted(n for n in names if n.endswith(".v")) == source_v


def test_broken_pipe_is_quiet(monkeypatch, capsys, tmp_path):
    # `tritpack ... | head`: the reader going away is not an error message.
    tmp_module(monkeypatch, tmp_path, "_tritpack_pipe", "def register(sub):\n"
               "    def run(args):\n        raise BrokenPipeError(32, 'Broken pipe')\n"
               "    sub.add_parser('pipe').set_defaults(func=run)\n")
    monkeypatch.setattr(cli, "entry_points", lambda group: [
        EntryPoint("pipe", "_tritpack_pipe:register", "tritpack.commands")])
    monkeypatch.setattr(cli.os, "dup2", lambda *a: None)  # keep pytest's stdout
    assert cli.main(["pipe"]) == 141
    assert capsys.readouterr().err == ""


def test_add_command_takes_its_texts_from_the_docstring():
    def run(args):
        """Do the thing, in one
        folded line.

        What it does at length:
          kept as written with raw.

        Parameters
        ----------
        args : Namespace
        """
        return 0

    sub = cli.Parser(prog="t").add_subparsers()
    p = cli.add_command(sub, "thing", run, raw=True)
    assert p.get_default("func") is run
    assert sub.choices["thing"] is p
    assert sub._choices_actions[0].help == "Do the thing, in one folded line."
    assert p.description == "What it does at length:\n  kept as written with raw."
    q = cli.add_command(sub, "other", lambda a: 0, doc=run)
    assert "Parameters" not in q.description and q.get_default("func") is not run

    def nodoc(args):
        return 0

    with pytest.raises(TypeError):
        cli.add_command(sub, "bare", nodoc)


def test_add_command_fills_places_only_when_asked():
    def run(args):
        """Help.

        {n} x {m} and {literal}.
        """

    sub = cli.Parser(prog="t").add_subparsers()
    assert cli.add_command(sub, "a", run).description == "{n} x {m} and {literal}."
    filled = cli.add_command(sub, "b", run, fill={"n": 2, "m": 3, "literal": "{x}"})
    assert filled.description == "2 x 3 and {x}."
