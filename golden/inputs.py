"""A user's input file, read one way for every command (``encode``, ``decode``,
``vectors --input``, ``sim --input``).

An input is named by a *spec*: a file path, or ``FILE:NAME`` for tensor
``NAME`` of a safetensors file (a tritpack container, or plain safetensors) or
of a GGUF file.  The formats:

``.npy``
    Trits: any shape, an integer, bool or float dtype holding only -1, 0 and 1
    (flattened in C order).  Where packed bytes are expected, a ``uint8`` array
    (1-D, or ``(n, 64)`` lines) is packed bytes.
text
    Trits -1, 0, 1 (``+1`` too) separated by white space or commas; ``#`` starts
    a comment that runs to the end of the line.
``.bin``
    Packed bytes, raw.
``FILE:NAME``
    A tensor of trits: a container's ternary tensor (decoded and verified), an
    integer safetensors tensor, a GGUF TQ1_0/TQ2_0 tensor (its trits).  Needs
    the ``weights`` extra, imported only here.

Nothing big is allocated before the size the file claims has been checked
against the file itself and against the memory available, so a corrupt or
hostile header gives a one-line :class:`InputError`, not a ``MemoryError``.
A missing file, a directory, an empty file each get a message naming the file,
what it is and what was expected.

Packed input must be whole blocks (or 64-byte lines): it is refused, never
padded, when it is not.  Trits are packed with :func:`golden.pack`, the tail of
the last block padded with zero trits, as ``tritpack encode`` does.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from pathlib import Path

import numpy as np

from .blocks import LINE_BYTES, check_block, pack
from .codec import check_trits
from .lut import TRITS_PER_BYTE, Lut
from .units import human_bytes
from .weights.formats import GGUF_MAGIC, NPY_MAGIC

__all__ = [
    "FORMATS", "InputError", "available_memory", "check_input_file", "check_memory",
    "input_info", "load_container_tensor", "load_packed", "load_packed_lines", "load_trits",
    "npy_header", "parse_spec",
]

#: Values of the ``fmt`` argument: ``auto`` decides from the content and the suffix.
FORMATS = ("auto", "npy", "raw", "text")

_RAW_SUFFIXES = (".bin", ".raw")
_TRITS = "trits: .npy of -1/0/1, text of -1 0 1, or FILE.safetensors:NAME / FILE.gguf:NAME"
_PACKED = "packed bytes: .bin, or a uint8 .npy"

#: Bytes of working memory per text byte when parsing text trits.
_TEXT_BYTES_PER_BYTE = 12


class InputError(ValueError):
    """A user's input file that cannot be read as asked: one line naming it.

    Members
    -------
    reason : str
        The message without the file (and option) it names.
    """

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = message if reason is None else reason

    @classmethod
    def at(cls, what: str, path, reason: str) -> InputError:
        """``"{what} {path}: {reason}"`` (``"{path}: {reason}"`` when ``what`` is empty)."""
        return cls(f"{what + ' ' if what else ''}{path}: {reason}", reason)


# --------------------------------------------------------------------------- memory

def available_memory() -> int | None:
    """Bytes of memory available to allocate now, or None when unknown.

    ``MemAvailable`` of ``/proc/meminfo`` (Linux), else the physical memory.
    """
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(nbytes: int, what: str) -> None:
    """Raise :class:`InputError` if ``nbytes`` will not fit the memory available.

    Parameters
    ----------
    nbytes : int
        Bytes about to be allocated.
    what : str
        What they are for, for the message (``"--lines 100000000"``).
    """
    have = available_memory()
    if have is not None and nbytes > have:
        raise InputError(f"{what} needs {human_bytes(nbytes, 1)} of memory, but "
                         f"{human_bytes(have, 1)} is available; use a smaller input")


# --------------------------------------------------------------------------- specs

def parse_spec(spec) -> tuple[Path, str | None]:
    """Split ``FILE:NAME`` into (file, tensor name); a plain path gives (path, None).

    A spec that names an existing path is a path, colons and all; otherwise the
    first colon after which the part before it is an existing file splits it.
    """
    text = os.fspath(spec)
    if not text:
        raise InputError("empty input path; expected a file name")
    path = Path(text)
    if path.exists() or ":" not in text:
        return path, None
    for m in re.finditer(":", text):
        head, tail = text[: m.start()], text[m.end():]
        if head and Path(head).is_file():
            if not tail:
                raise InputError(f"{text}: no tensor name after ':'; expected FILE:NAME")
            return Path(head), tail
    return path, None


def check_input_file(path, what: str, expected: str) -> int:
    """The size of an input file, after refusing a missing file, a directory, a special
    file, an unreadable or an empty one.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        The option or argument that named it (``"--input"``), or ``""``.
    expected : str
        What it should be, for the messages (``"a GGUF file"``).

    Raises
    ------
    InputError
        :meth:`InputError.at` ``what``, ``path`` and the reason.
    """
    path = Path(path)

    def error(reason: str) -> InputError:
        return InputError.at(what, path, reason)

    if path.is_dir():
        raise error(f"is a directory; expected {expected}")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise error(f"no such file; expected {expected}") from None
    except OSError as exc:
        raise error(f"cannot read ({exc.strerror or exc}); expected {expected}") from None
    if not path.is_file():
        raise error(f"not a regular file; expected {expected}")
    if size == 0:
        raise error(f"empty file (0 bytes); expected {expected}")
    if not os.access(path, os.R_OK):
        raise error("not readable (permission denied)")
    return size


def _sniff(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(16)


def _is_safetensors_head(head: bytes, size: int) -> bool:
    if len(head) < 9:
        return False
    n = int.from_bytes(head[:8], "little")
    return 2 <= n <= size - 8 and head[8:9] == b"{"


def _kind(path: Path, size: int, fmt: str) -> str:
    """``npy``, ``raw``, ``text``, ``gguf`` or ``safetensors``."""
    if fmt not in FORMATS:
        raise InputError(f"unknown input format {fmt!r}; expected one of {', '.join(FORMATS)}")
    head = _sniff(path)
    if head.startswith(NPY_MAGIC):
        return "npy" if fmt in ("auto", "npy") else fmt
    if fmt != "auto":
        return fmt
    if head.startswith(GGUF_MAGIC):
        return "gguf"
    if path.suffix.lower() == ".npy":
        return "npy"
    if path.suffix.lower() == ".safetensors" or _is_safetensors_head(head, size):
        return "safetensors"
    if path.suffix.lower() in _RAW_SUFFIXES:
        return "raw"
    return "text"


def _need_tensor(path: Path, kind: str, what: str, packed: bool = False) -> InputError:
    """The error for a whole safetensors or GGUF file where one tensor (or, with
    ``packed``, packed bytes) is expected: it names the tensors to choose from."""
    listed, container = None, False
    try:
        container = _is_container(path)
        if container:
            from .weights.container import Container

            listed = [e.name for e in Container(path) if e.kind == "ternary" or not packed]
        elif not packed:
            from .weights.sources import open_source

            listed = [t.name for t in open_source(path).tensors if t.owner is None]
    except (ImportError, ValueError):
        pass
    if packed and not container:
        return InputError(f"{what} {path}: is a {kind} file; expected {_PACKED}, or a ternary "
                          "tensor of a tritpack container as FILE:NAME")
    names = "" if not listed else (
        f" (it holds {', '.join(listed[:5])}{', ...' if len(listed) > 5 else ''})")
    is_a = "a tritpack container" if container else f"a {kind} file"
    return InputError(f"{what} {path}: is {is_a}; name one "
                      f"{'ternary ' if packed else ''}tensor as {path}:NAME{names}")


# --------------------------------------------------------------------------- .npy

def npy_header(path, size: int, what: str = "") -> tuple[tuple, np.dtype, bool, int]:
    """(shape, dtype, fortran_order, data offset) of a .npy file, checked against its size.

    Raises
    ------
    InputError
        For a header that cannot be read, an object dtype, or more data than the
        file's ``size`` bytes hold (:meth:`InputError.at` ``what``, ``path``).
    """
    path = Path(path)

    def error(reason: str) -> InputError:
        return InputError.at(what, path, reason)

    from numpy.lib import format as npy

    try:
        with open(path, "rb") as f:
            version = npy.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = npy.read_array_header_1_0(f)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = npy.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            offset = f.tell()
    except (ValueError, EOFError, OSError, SyntaxError) as exc:
        msg = " ".join(str(exc).split())
        raise error(f"not a readable .npy file ({msg})") from None
    if dtype.hasobject:
        raise error(f".npy of Python objects (dtype {dtype}); expected a numeric array")
    count = math.prod(shape)
    need = count * dtype.itemsize
    if need > size - offset:
        raise error(
            f".npy header claims shape {tuple(shape)} of {dtype} = "
            f"{human_bytes(need, 1)} of data, but the file holds {size - offset} bytes after the "
            "header: truncated or corrupt")
    return tuple(shape), dtype, fortran, offset


def _load_npy(path: Path, size: int, what: str, extra_per_item: int) -> np.ndarray:
    """A memory map of the .npy array, after checking its size; ``extra_per_item``
    bytes per element are budgeted for what the caller makes of it."""
    shape, dtype, _, _ = npy_header(path, size, what)
    count = math.prod(shape)
    if count == 0:
        raise InputError(f"{what} {path}: .npy array of shape {shape} holds no values")
    check_memory(count * extra_per_item, f"{what} {path} ({count} values)")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        msg = " ".join(str(exc).split())
        raise InputError(f"{what} {path}: not a readable .npy file ({msg})") from None


def _checked_trits(arr, where: str) -> np.ndarray:
    try:
        return check_trits(arr, what=where).reshape(np.shape(arr))
    except TypeError as exc:
        raise InputError(f"{exc}; expected trits -1, 0, 1") from None


# --------------------------------------------------------------------------- text

def _parse_text(path: Path, size: int, what: str) -> np.ndarray:
    """Trits of a text file, flat int8; vectorised, so a large file parses quickly."""
    check_memory(size * _TEXT_BYTES_PER_BYTE, f"{what} {path} ({size} bytes of text)")
    raw = np.fromfile(path, dtype=np.uint8)
    newline = raw == ord("\n")
    hashes = np.cumsum(raw == ord("#"), dtype=np.int64)
    in_comment = (hashes - np.maximum.accumulate(np.where(newline, hashes, 0))) > 0
    sep = in_comment | np.isin(raw, np.frombuffer(b" \t\r\n\f\v,", dtype=np.uint8))
    allowed = sep | np.isin(raw, np.frombuffer(b"01+-", dtype=np.uint8))
    del hashes, in_comment

    def line_of(i: int) -> int:
        return int(np.count_nonzero(newline[:i])) + 1

    if not allowed.all():
        i = int(np.argmin(allowed))
        if raw[i] >= 128 or (raw[i] < 32 and raw[i] not in (9, 10, 13)):
            raise InputError(f"{what} {path}: not a text file of trits (byte {i} is "
                             f"0x{int(raw[i]):02x}); expected {_TRITS}, or packed bytes as .bin")
    tok = ~sep
    starts = np.flatnonzero(tok & ~np.concatenate(([False], tok[:-1])))
    ends = np.flatnonzero(tok & ~np.concatenate((tok[1:], [False]))) + 1
    del tok, sep
    length = ends - starts
    last = raw[ends - 1]
    first = raw[starts]
    ok = ((length == 1) & ((first == ord("0")) | (first == ord("1")))) | (
        (length == 2) & ((first == ord("-")) | (first == ord("+"))) & (last == ord("1")))
    if not ok.all():
        k = int(np.argmin(ok))
        s = int(starts[k])
        token = raw[s: s + min(int(length[k]), 20)].tobytes().decode("ascii", "replace")
        raise InputError(f"{what} {path}:{line_of(s)}: {token!r} is not a trit; "
                         "expected -1, 0 or 1")
    if starts.size == 0:
        raise InputError(f"{what} {path}: holds no trits (only separators or comments); "
                         f"expected {_TRITS}")
    trits = (last == ord("1")).astype(np.int8)
    trits[first == ord("-")] = -1
    return trits


# --------------------------------------------------------------------------- tensors

def _tensor_trits(path: Path, name: str, what: str) -> np.ndarray:
    """Trits of tensor ``name`` of a container, safetensors or GGUF file."""
    from .weights.errors import WeightsError
    from .weights.sources import open_source
    from .weights.ternary import TernaryTensor

    where = f"{what} {path}:{name}"
    try:
        if _is_container(path):
            from .weights.container import Container

            c = Container(path)
            e = c.entry(name)
            if e.kind == "ternary":
                check_memory(2 * e.num_weights, where)
                return c.read_ternary(name).trits
            if e.dtype.startswith(("F", "BF")):
                raise InputError(f"{where}: a {e.dtype} tensor the container carries "
                                 "unpacked; expected trits or a ternary tensor")
            return _checked_trits(c.read_raw(name), where)
        t = open_source(path).find(name)
        if t.kind == "float":
            raise InputError(f"{where}: a {t.dtype} tensor, not trits; expected integer trits "
                             "or a ternary tensor (ternarize floats with 'tritpack pack')")
        if t.kind == "unsupported":
            raise InputError(f"{where}: {t.reason}")
        check_memory(2 * t.num_weights + t.nbytes, where)
        value = t.load()
    except WeightsError as exc:
        raise InputError(f"{what} {exc}") from None
    if isinstance(value, TernaryTensor):
        return value.trits
    return _checked_trits(value, where)


def _is_container(path: Path) -> bool:
    from .weights.container import is_container

    return is_container(path)


def _container_packed(path: Path, name: str, what: str, codec: Lut,
                      block: int) -> np.ndarray | None:
    """The stored bytes of a container's ternary tensor packed in blocks of ``block``
    (None for any other tensor: its trits are packed here)."""
    from .lut import get_lut
    from .weights.container import Container
    from .weights.errors import WeightsError

    try:
        if not _is_container(path):
            return None
        c = Container(path)
        e = c.entry(name)
        if e.kind != "ternary" or e.meta["block"] != block:
            return None
        stored = e.meta["codec"]
        if get_lut(stored) is not codec:
            raise InputError(f"{what} {path}:{name}: packed with codec {stored}, not "
                             f"{codec.name}; pass --codec {stored}")
        check_memory(2 * e.num_weights, f"{what} {path}:{name}")
        return c.read_packed(name)[0].data
    except WeightsError as exc:
        raise InputError(f"{what} {exc}") from None


# --------------------------------------------------------------------------- public

def load_trits(spec, *, what: str = "input", fmt: str = "auto") -> np.ndarray:
    """Read a user's trits: int8 in {-1, 0, 1}, in the file's shape (1-D for text).

    Parameters
    ----------
    spec : str or path-like
        A file, or ``FILE:NAME`` for a tensor of a safetensors or GGUF file.
    what : str
        The option or argument that named it, for messages (``"--input"``).
    fmt : {"auto", "npy", "text"}
        The format; ``auto`` decides from the content and the suffix.

    Raises
    ------
    InputError
        (a ValueError) for anything that is not a readable file of trits, naming
        the file, what it is and what was expected; for a size beyond the file
        or the memory available, before it is allocated.
    """
    path, name = parse_spec(spec)
    size = check_input_file(path, what, f"a file of {_TRITS}")
    if name is not None:
        return _tensor_trits(path, name, what)
    kind = _kind(path, size, fmt)
    if kind in ("gguf", "safetensors"):
        raise _need_tensor(path, kind, what)
    if kind == "raw":
        raise InputError(f"{what} {path}: packed bytes (raw); expected {_TRITS} "
                         "(unpack it with 'tritpack decode')")
    if kind == "text":
        return _parse_text(path, size, what)
    arr = _load_npy(path, size, what, extra_per_item=2)
    return _checked_trits(arr, f"{what} {path}")


def load_packed(spec, *, what: str = "input", block: int = 320, codec: Lut | None = None,
                fmt: str = "auto", _unit: str = "block") -> np.ndarray:
    """Read packed bytes in whole blocks, 1-D uint8, as ``tritpack decode`` does.

    Parameters
    ----------
    spec : str or path-like
        A file, or ``FILE:NAME`` for a tensor of a safetensors or GGUF file.
    what : str
        The option or argument that named it, for messages.
    block : {320, 640}
        Trits per block: the data must be whole blocks of ``block / 5`` bytes.
    codec : Lut, optional
        When given, trits (a signed integer, bool or float ``.npy``, text, a
        tensor) are accepted too and packed with it into blocks of ``block``; a
        container tensor packed with another codec is refused.  When None,
        only packed bytes are accepted.
    fmt : {"auto", "npy", "raw", "text"}
        ``auto``: a ``.npy`` by its magic, GGUF/safetensors need ``:NAME``,
        ``.bin``/``.raw`` are raw bytes; anything else is text trits when
        ``codec`` is given, raw bytes otherwise.

    Raises
    ------
    InputError
        For an unreadable input or one that is not whole blocks (it is never
        padded), naming the file and what was expected.
    """
    block = check_block(block)
    block_bytes = block // TRITS_PER_BYTE
    expected = f"{_PACKED} in whole {block_bytes}-byte blocks" + (
        f", or {_TRITS}" if codec is not None else "")
    path, name = parse_spec(spec)
    size = check_input_file(path, what, f"a file of {expected}")
    if name is not None:
        if codec is None:
            raise InputError(f"{what} {spec}: a tensor; expected {_PACKED}")
        data = _container_packed(path, name, what, codec, block)
        if data is not None:
            return data
        return pack(_tensor_trits(path, name, what), codec, block).data
    kind = _kind(path, size, fmt)
    if kind == "text" and codec is None and fmt == "auto":
        kind = "raw"
    if kind in ("gguf", "safetensors"):
        raise _need_tensor(path, kind, what, packed=codec is None)
    if kind == "raw":
        check_memory(size, f"{what} {path}")
        data = np.fromfile(path, dtype=np.uint8)
        where = f"{size} bytes"
    elif kind == "text":
        return pack(_parse_text(path, size, what), codec, block).data
    else:
        arr = _load_npy(path, size, what, extra_per_item=2)
        if arr.dtype != np.uint8:
            if codec is None:
                raise InputError(f"{what} {path}: .npy of {arr.dtype}; expected {_PACKED}")
            return pack(_checked_trits(arr, f"{what} {path}"), codec, block).data
        if not (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == LINE_BYTES)):
            raise InputError(f"{what} {path}: uint8 .npy of shape {arr.shape}; expected "
                             f"packed bytes, 1-D or ({'n'}, {LINE_BYTES}) lines")
        data = np.ascontiguousarray(arr.reshape(-1))
        where = f"{data.size} bytes (uint8 .npy)"
    if data.size % block_bytes:
        over = f"{data.size // block_bytes} whole, {data.size % block_bytes} bytes over"
        if _unit == "line":
            raise InputError(
                f"{what} {path}: {where} is not a whole number of {LINE_BYTES}-byte lines "
                f"({over}); expected packed bytes in whole lines of {block} trits (truncated?), "
                "or trits (.npy of int8, text) to be packed")
        raise InputError(
            f"{what} {path}: {where} is not a whole number of {block_bytes}-byte blocks "
            f"({over}); expected packed bytes in whole blocks of {block} trits: truncated, "
            "or a wrong --block?")
    return data


def load_packed_lines(spec, *, codec: Lut, what: str = "input",
                      fmt: str = "auto") -> np.ndarray:
    """Read a user's input as whole 64-byte lines, ``(n, 64)`` uint8.

    Packed bytes must be whole lines (refused otherwise, never padded); trits
    are packed with ``codec`` in 320-trit (one-line) blocks.  See
    :func:`load_packed`.
    """
    return load_packed(spec, what=what, block=TRITS_PER_BYTE * LINE_BYTES, codec=codec,
                       fmt=fmt, _unit="line").reshape(-1, LINE_BYTES)


def load_container_tensor(spec, *, what: str = "input") -> np.ndarray:
    """The trits of a tritpack container's ternary tensor ``FILE:NAME``, int8 in its
    logical shape, after checking its checksum, codes and padding.

    Raises
    ------
    InputError
        For a file that is not a container, a tensor it does not hold or carries
        unpacked, or a bad tensor, naming the file and the tensor.
    """
    path, name = parse_spec(spec)
    check_input_file(path, what, "a tritpack container's ternary tensor as FILE:NAME")
    if name is None:
        raise InputError(f"{what} {path}: expected a ternary tensor as {path}:NAME")
    from .weights.errors import WeightsError

    try:
        if not _is_container(path):
            raise InputError(f"{what} {path}: not a tritpack container; expected {_PACKED}, "
                             "or a ternary tensor of a tritpack container as FILE:NAME")
        from .weights.container import Container

        c = Container(path)
        e = c.entry(name)
        if e.kind != "ternary":
            raise InputError(f"{what} {path}:{name}: a {e.dtype} tensor the container carries "
                             "unpacked; expected a ternary tensor")
        check_memory(2 * e.num_weights, f"{what} {path}:{name}")
        return c.read_ternary(name).trits
    except WeightsError as exc:
        raise InputError(f"{what} {exc}") from None


def input_info(spec) -> dict:
    """Name, SHA-256 and (for ``FILE:NAME``) tensor of an input, for a manifest.

    The file is hashed in chunks, in bounded memory.
    """
    path, name = parse_spec(spec)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    info = {"name": path.name, "sha256": h.hexdigest()}
    if name is not None:
        info["tensor"] = name
    return info
