#!/usr/bin/env python3
"""Prove the package as a user gets it: the built wheel, fresh venvs, outside the checkout.

``make check-wheel`` (part of ``make test``) runs this with the project's venv:

1. builds the wheel (``pip wheel --no-deps``) into a temporary directory;
2. base install (numpy only) in a fresh venv: every subcommand is listed in
   ``tritpack --help``, ``tritpack encode`` works, ``tritpack verilog`` says in
   one line which extra to install, and ``import golden`` does not resolve;
3. ``[all]`` install in another fresh venv, from a directory outside the
   checkout: ``tritpack --help``, ``--version``, ``verilog``, ``pack`` and
   ``demo --quick`` run, their output lands under that directory, and nothing
   is written into site-packages.

Exit status 0 when every check holds; otherwise each failed check is printed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Subcommands every install must list (the entry points of pyproject.toml).
COMMANDS_RE = re.compile(r'^(\w+) = "tritpack\.[\w.]+:register_\w+"', re.M)


#: A GGUF file with a TQ1_0 tensor and an F32 norm, written by the gguf package itself.
GGUF_MODEL = """
import gguf, numpy as np
rng = np.random.default_rng(1)
w = rng.integers(-1, 2, (64, 256)).astype(np.float32) * 0.05
g = gguf.GGUFWriter("model.gguf", "llama")
g.add_tensor("blk.0.attn_q.weight", gguf.quants.quantize(w, gguf.GGMLQuantizationType.TQ1_0),
             raw_dtype=gguf.GGMLQuantizationType.TQ1_0)
g.add_tensor("blk.0.attn_norm.weight", np.ones(256, np.float32))
g.write_header_to_file(); g.write_kv_data_to_file(); g.write_tensors_to_file(); g.close()
"""


class Checks:
    def __init__(self):
        self.failed: list[str] = []

    def expect(self, ok: bool, what: str, detail: str = "") -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if not ok:
            self.failed.append(f"{what}: {detail.strip()[-2000:]}" if detail else what)


def run(argv, cwd, env=None, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def make_venv(path: Path, wheel: Path, extras: str, cwd: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    spec = f"{wheel}[{extras}]" if extras else str(wheel)
    r = run([str(path / "bin" / "python"), "-m", "pip", "install", "-q",
             "--disable-pip-version-check", spec], cwd)
    if r.returncode:
        raise SystemExit(f"check-wheel: pip install {spec} failed:\n{r.stdout}{r.stderr}")
    return path / "bin"


def site_packages(bin_dir: Path) -> Path:
    out = subprocess.run([str(bin_dir / "python"), "-c",
                          "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns
            for p in root.rglob("*") if p.is_file()}


def user_env(bin_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "TRITPACK_BUILD_DIR")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def install(tmp: Path, name: str, wheel: Path, extras: str) -> tuple[Path, Path, dict]:
    """A fresh venv with the wheel (and ``extras``), and an empty work directory."""
    work = tmp / f"{name}-work"
    work.mkdir()
    bin_dir = make_venv(tmp / f"{name}-venv", wheel, extras, work)
    return bin_dir, work, user_env(bin_dir)


def check_help(c: Checks, tp: str, work: Path, env: dict, commands: list[str]):
    r = run([tp, "--help"], work, env)
    listed = [name for name in commands if re.search(rf"^\s+{name}\s", r.stdout, re.M)]
    c.expect(r.returncode == 0 and listed == commands,
             "tritpack --help lists every subcommand", r.stdout + r.stderr)
    return r


def check_base(c: Checks, wheel: Path, tmp: Path, commands: list[str]) -> None:
    print("base install (numpy only):", flush=True)
    bin_dir, work, env = install(tmp, "base", wheel, "")
    tp = str(bin_dir / "tritpack")
    check_help(c, tp, work, env, commands)
    r = run([str(bin_dir / "python"), "-c",
             "import numpy as np; np.save('t.npy', np.array([1, 0, -1, 1], np.int8))"],
            work, env)
    r = run([tp, "encode", "t.npy", "-o", "t.bin"], work, env)
    c.expect(r.returncode == 0 and (work / "t.bin").is_file(), "tritpack encode works",
             r.stderr)
    r = run([tp, "verilog", "-o", "x.v"], work, env)
    lines = r.stderr.strip().splitlines()
    c.expect(r.returncode == 2 and len(lines) == 1 and "pip install 'tritpack[hw]'" in r.stderr
             and not (work / "x.v").exists(),
             "tritpack verilog names the missing extra in one line", r.stderr)
    r = run([tp, "pack", "t.npy", "-o", "t.safetensors"], work, env)
    c.expect(r.returncode == 2 and "pip install 'tritpack[weights]'" in r.stderr,
             "tritpack pack names the missing extra", r.stderr)
    r = run([str(bin_dir / "python"), "-c", "import golden"], work, env)
    c.expect(r.returncode != 0 and "No module named 'golden'" in r.stderr,
             "a bare 'import golden' does not resolve", r.stderr)


def check_all(c: Checks, wheel: Path, tmp: Path, commands: list[str]) -> None:
    print("full install ([all]):", flush=True)
    bin_dir, work, env = install(tmp, "all", wheel, "all")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # so that any write into site-packages is ours
    site = site_packages(bin_dir)
    before = snapshot(site)
    tp = str(bin_dir / "tritpack")
    r = check_help(c, tp, work, env, commands)
    c.expect("needs the" not in r.stdout, "no subcommand lacks its extra", r.stdout)
    r = run([tp, "--version"], work, env)
    c.expect(r.returncode == 0 and r.stdout.startswith("tritpack "), "tritpack --version",
             r.stdout + r.stderr)
    r = run([tp, "verilog", "--lanes", "8", "-o", "engine.v"], work, env)
    c.expect(r.returncode == 0 and "module " in (work / "engine.v").read_text()
             if (work / "engine.v").is_file() else False, "tritpack verilog", r.stderr)
    r = run([str(bin_dir / "python"), "-c",
             "import numpy as np; rng = np.random.default_rng(1); "
             "np.save('w.npy', rng.normal(0, 0.02, (64, 320)).astype(np.float32))"], work, env)
    r = run([tp, "pack", "w.npy", "-o", "w.safetensors"], work, env)
    c.expect(r.returncode == 0 and (work / "w.safetensors").is_file(), "tritpack pack",
             r.stdout + r.stderr)
    r = run([str(bin_dir / "python"), "-c", GGUF_MODEL], work, env)
    r = run([tp, "pack", "model.gguf", "-o", "from-gguf.safetensors"], work, env)
    c.expect(r.returncode == 0 and "TQ1_0" in r.stdout + r.stderr
             and (work / "from-gguf.safetensors").is_file(),
             "tritpack pack of a GGUF TQ1_0 file written by the gguf package", r.stdout + r.stderr)
    r = run([tp, "demo", "--quick", "--no-progress"], work, env)
    c.expect(r.returncode == 0 and "PASS" in r.stdout, "tritpack demo --quick",
             r.stdout + r.stderr)
    c.expect((work / "build").is_dir(), "build output went under the current directory",
             "no build/ in " + str(work))
    after = snapshot(site)
    changed = sorted(k for k in after if before.get(k) != after[k])
    c.expect(not changed, "nothing was written into site-packages", "\n".join(changed[:20]))


def build_wheel(out: Path) -> Path:
    """Build the wheel of the source tree as a fresh clone would hold it, into ``out``.

    The files git tracks, and the new ones it does not ignore, are copied to a
    temporary directory first: a stale ``build/lib`` of an earlier in-tree build
    could otherwise slip into the wheel.
    """
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    with tempfile.TemporaryDirectory(prefix="tritpack-src-") as src:
        for name in filter(None, files):
            if (ROOT / name).is_file():
                (Path(src) / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, Path(src) / name)
        r = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                 "--disable-pip-version-check", "-w", str(out), src], cwd=src)
        if r.returncode:
            raise SystemExit(f"check-wheel: building the wheel failed:\n{r.stdout}{r.stderr}")
    return next(out.glob("tritpack-*.whl"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/check_wheel.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--build-only", metavar="DIR", type=Path,
                        help="only build the wheel, into DIR")
    args = parser.parse_args(argv)
    commands = sorted(COMMANDS_RE.findall((ROOT / "pyproject.toml").read_text()))
    if args.build_only:
        print(build_wheel(args.build_only))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="tritpack-wheel-"))
    start = time.monotonic()
    c = Checks()
    try:
        wheel = build_wheel(tmp / "dist")
        print(f"wheel: {wheel.name}", flush=True)
        check_base(c, wheel, tmp, commands)
        check_all(c, wheel, tmp, commands)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"check-wheel: {len(c.failed)} failed, {time.monotonic() - start:.0f} s")
    for f in c.failed:
        print(f"FAILED {f}", file=sys.stderr)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
