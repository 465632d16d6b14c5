"""Output files and directories: one policy for every command, and atomic writing.

The policy (README, "Output paths"), checked by :func:`check_output` before any
work starts:

* ``-o -`` means standard output, where the output is text; elsewhere it is refused.
* An existing output is replaced only with ``--force``; a directory is replaced
  only when it is a previous output of the same kind (it holds ``marker``).
* The parent directory must exist: it is not created.
* An empty path, a directory where a file is expected (or the reverse), or a
  file name whose suffix does not match the format written is refused.

Writing is atomic (:func:`atomic_output`, :func:`atomic_directory`): a reader
sees the old output or the complete new one, never a part, and a failure, an
interrupt or a SIGTERM (:mod:`tritpack.cli` turns it into ``SystemExit``)
leaves no temporary file behind.

Build output of the tools (simulation builds, waves, synthesis runs) goes under
:func:`build_root`: ``./build`` of the current directory, or
``$TRITPACK_BUILD_DIR``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

__all__ = [
    "BUILD_DIR_ENV", "STDOUT", "atomic_directory", "atomic_output", "atomic_path", "build_root",
    "check_output", "check_output_dir", "write_atomic", "write_output",
]

#: The output path that means standard output.
STDOUT = "-"

#: Environment variable that moves :func:`build_root`.
BUILD_DIR_ENV = "TRITPACK_BUILD_DIR"


def build_root(sub: str | None = None) -> Path:
    """Where tools put their build output: ``$TRITPACK_BUILD_DIR`` or ``./build``.

    Relative to the current directory, never to the installed code.  ``sub``
    names a subdirectory (``"sim"``, ``"formal"``).  Nothing is created.
    """
    root = Path(os.environ.get(BUILD_DIR_ENV) or "build")
    return root / sub if sub else root


def _parent_ok(path: Path, what: str) -> None:
    parent = path.absolute().parent
    if not parent.is_dir():
        raise OSError(f"cannot write {what} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OSError(f"cannot write {what} {path}: directory {parent} is not writable")


def check_output(path: str | os.PathLike, *, force: bool = False, stdout_ok: bool = False,
                 suffixes: tuple[str, ...] | None = None, what: str = "output",
                 inputs: tuple = ()) -> Path | None:
    """Check an output file path before any work; return it, or None for standard output.

    Parameters
    ----------
    path : str or path-like
        The path given with ``-o``; ``"-"`` is standard output.
    force : bool
        Replace an existing file.
    stdout_ok : bool
        Whether the output is text that may go to standard output.
    suffixes : tuple of str, optional
        Accepted file name suffixes (``(".safetensors",)``), checked case-insensitively.
    what : str
        What the file is, for messages (``"Verilog file"``).
    inputs : tuple of path-like
        The command's input files: an output that is one of them is refused,
        even with ``force`` (it would be overwritten before it is read).

    Raises
    ------
    OSError
        If the path breaks the policy in the module docstring; the message names
        the path and what was expected.
    """
    text = os.fspath(path)
    if text == STDOUT:
        if not stdout_ok:
            raise OSError(f"{what} cannot go to standard output ('-o -'): it is not text; "
                          "give a file name")
        return None
    if not text.strip():
        raise OSError(f"empty path for the {what}; expected a file name")
    out = Path(text)
    if out.is_dir():
        raise OSError(f"cannot write {what} {out}: it is a directory; expected a file name")
    if suffixes and out.suffix.lower() not in suffixes:
        raise OSError(f"{what} {out}: expected a file name ending in "
                      f"{' or '.join(suffixes)}, not {out.suffix or 'no suffix'!r}")
    for src in inputs:
        if out.exists() and Path(src).exists() and os.path.samefile(src, out):
            raise OSError(f"{what} {out} is also the input: it would be overwritten before "
                          "it is read; give another output name")
    if out.exists() and not force:
        raise OSError(f"{what} {out} exists; use --force to replace it")
    _parent_ok(out, what)
    return out


def check_output_dir(path: str | os.PathLike, *, force: bool = False, marker: str,
                     what: str = "output directory") -> Path:
    """Check an output directory path before any work and return it.

    A missing or empty directory may be written.  A non-empty one is replaced
    only with ``force`` and only if it holds ``marker`` (a file every output of
    this kind has, such as ``manifest.json``): this never deletes a directory of
    someone else's files.

    Raises
    ------
    OSError
        If the path breaks the policy in the module docstring.
    """
    text = os.fspath(path)
    if text == STDOUT or not text.strip():
        raise OSError(f"{what}: expected a directory name, not {text!r}")
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise OSError(f"{what} {out} exists and is not a directory; expected a directory name "
                      "(a new one, or a previous output of this command)")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise OSError(f"{what} {out} exists and is not empty; use --force to replace it")
        if not (out / marker).is_file():
            raise OSError(f"{what} {out} is not empty and holds no {marker}; --force only "
                          "replaces a previous output of this command")
    _parent_ok(out, what)
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield the name of a temporary file beside ``path``; on success rename it over ``path``.

    For writers that open their output by name (``gguf.GGUFWriter``).  On any
    exception (``KeyboardInterrupt`` and ``SystemExit`` included) the temporary
    file is removed and ``path`` is untouched.

    Raises
    ------
    OSError
        If ``path`` is a directory, or its directory does not exist or is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise OSError(f"cannot write {path}: it is a directory")
    _parent_ok(path, "file")
    fd, tmp = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.",
                               suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary file beside ``path``; on success rename it over ``path``.

    The same guarantees as :func:`atomic_path`, for writers that take an open file.
    """
    with atomic_path(path) as tmp, open(tmp, mode) as f:
        yield f


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike):
    """Yield a temporary directory beside ``path``; on success it replaces ``path``.

    Check ``path`` with :func:`check_output_dir` first: an existing ``path`` is
    replaced as a whole.  On any exception the temporary directory is removed
    and ``path`` is untouched.
    """
    out = Path(path)
    parent = out.absolute().parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace_dir(tmp: Path, out: Path) -> None:
    if out.is_dir() and any(out.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=tmp.parent))
        os.rmdir(old)
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)  # replaces an empty directory


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` (text is UTF-8 encoded) to ``path`` atomically."""
    with atomic_output(path, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_output(path: Path | None, data: bytes | str) -> None:
    """Write a checked output (:func:`check_output`): to ``path``, or to standard
    output when ``path`` is None."""
    if path is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        sys.stdout.flush()
        return
    write_atomic(path, data)
