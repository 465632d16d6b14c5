"""Safetensors files, read and written one tensor at a time.

The format: an 8-byte little-endian header length ``N``, ``N`` bytes of UTF-8
JSON mapping each tensor name to ``{"dtype", "shape", "data_offsets"}`` (byte
offsets into the data buffer that follows) plus an optional
``"__metadata__"`` map of strings, then the data buffer.  The tensors must
tile the buffer exactly, with no gap and no overlap.

The ``safetensors`` package's numpy API has no ``BF16`` and loads whole files,
so this module reads the header itself, validates all of it before any data
is touched (a truncated or corrupt file is a :class:`WeightsError`, never a
crash), and reads each tensor on demand (``BF16`` and ``F8`` through ``ml_dtypes``,
imported on first use of one of those dtypes: it takes seconds to load).
The writer streams: it reserves the header, writes each tensor as it comes,
and rewrites the header at the end (so metadata such as checksums can depend
on the data), all through :func:`golden.fileio.atomic_output` (a temporary file
renamed only on success, removed on any failure or interrupt).
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..fileio import atomic_output
from .errors import WeightsError

__all__ = ["DTYPES", "TensorInfo", "SafetensorsReader", "SafetensorsWriter", "dtype_name"]

#: ``ml_dtypes`` attribute of each safetensors dtype numpy lacks.
_ML_DTYPES = {"BF16": "bfloat16", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}


class _Dtypes(Mapping):
    """Safetensors dtype name -> numpy dtype; the ``ml_dtypes`` ones built on first use."""

    _NAMES = ("F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2", "I64", "I32", "I16", "I8",
              "U64", "U32", "U16", "U8", "BOOL")

    def __init__(self, plain: dict[str, str]):
        self._dtypes = {name: np.dtype(code) for name, code in plain.items()}

    def __getitem__(self, name: str) -> np.dtype:
        if name not in self._dtypes and name in _ML_DTYPES:
            import ml_dtypes

            self._dtypes[name] = np.dtype(getattr(ml_dtypes, _ML_DTYPES[name]))
        return self._dtypes[name]

    def __contains__(self, name) -> bool:
        return name in self._NAMES

    def __iter__(self):
        return iter(self._NAMES)

    def __len__(self) -> int:
        return len(self._NAMES)


DTYPES: Mapping[str, np.dtype] = _Dtypes({
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
})
MAX_HEADER = 100 * 1024 * 1024  # the limit the reference implementation uses


def dtype_name(dtype) -> str:
    """Safetensors name of a numpy dtype, or raise WeightsError."""
    dt = np.dtype(dtype)
    for name, known in DTYPES.items():
        if dt == known:
            return name
    raise WeightsError(f"dtype {dt} cannot be stored in safetensors")


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a safetensors header: ``dtype`` name, ``shape``, absolute byte range."""

    name: str
    dtype: str
    shape: tuple
    start: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.start

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class SafetensorsReader:
    """A validated safetensors file; tensors are read on demand.

    Parameters
    ----------
    path : str or Path
        The file.

    Members
    -------
    tensors : dict of str to TensorInfo
        In file order (by offset).
    metadata : dict of str to str
        The ``__metadata__`` map (empty when absent).

    Raises
    ------
    WeightsError
        If the file is truncated, has trailing bytes, a header that is not
        valid JSON of the right form, an unsupported dtype, a shape that does
        not match its byte range, or tensors that do not tile the data buffer.
    """

    def __init__(self, path):
        self.path = Path(path)
        try:
            size = self.path.stat().st_size
            with open(self.path, "rb") as f:
                head = f.read(8)
                if len(head) < 8:
                    raise self._error(
                        f"truncated safetensors file: {size} bytes, too short for its "
                        "8-byte header length"
                    )
                (n,) = struct.unpack("<Q", head)
                if n > min(size - 8, MAX_HEADER):
                    raise self._error(
                        f"header length {n} exceeds the file ({size} bytes): truncated or not "
                        "a safetensors file"
                    )
                raw = f.read(n)
        except OSError as exc:
            raise WeightsError(f"cannot read: {exc.strerror or exc}", self.path) from None
        self.data_start = 8 + n
        self.tensors, self.metadata = self._parse(raw, size - self.data_start)

    def _error(self, reason: str, tensor: str | None = None) -> WeightsError:
        return WeightsError(reason, self.path, tensor)

    def _parse(self, raw: bytes, buffer_len: int):
        try:
            header = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._error(f"corrupt safetensors header: {exc}") from None
        if not isinstance(header, dict):
            raise self._error("corrupt safetensors header: expected a JSON object")
        metadata = header.pop("__metadata__", None) or {}
        if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
        ):
            raise self._error(
                "corrupt safetensors header: __metadata__ must map strings to strings"
            )
        infos = []
        for name, entry in header.items():
            infos.append(self._parse_entry(name, entry))
        infos.sort(key=lambda t: (t.start, t.end))
        pos = 0
        for t in infos:
            if t.start - self.data_start != pos:
                raise self._error(
                    f"corrupt safetensors header: data starts at offset "
                    f"{t.start - self.data_start}, expected {pos} (tensors must tile the buffer)",
                    t.name,
                )
            pos = t.end - self.data_start
        if pos != buffer_len:
            what = "truncated" if pos > buffer_len else "trailing bytes"
            raise self._error(
                f"{what}: the header describes {pos} data bytes, the file holds {buffer_len}"
            )
        return {t.name: t for t in infos}, metadata

    def _parse_entry(self, name, entry) -> TensorInfo:
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise self._error(
                "corrupt safetensors header: expected dtype, shape, data_offsets", name
            )
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPES:
            raise self._error(
                f"unsupported dtype {dtype!r}; expected one of {', '.join(DTYPES)}", name
            )
        if not (
            isinstance(shape, list)
            and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            raise self._error(f"corrupt safetensors header: bad shape {shape!r}", name)
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]
        ):
            raise self._error(f"corrupt safetensors header: bad data_offsets {offsets!r}", name)
        nbytes = math.prod(shape) * DTYPES[dtype].itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise self._error(
                f"corrupt safetensors header: {dtype} {shape} needs {nbytes} bytes, "
                f"data_offsets give {offsets[1] - offsets[0]}",
                name,
            )
        start = self.data_start + offsets[0]
        return TensorInfo(name, dtype, tuple(shape), start, self.data_start + offsets[1])

    def __contains__(self, name) -> bool:
        return name in self.tensors

    def info(self, name: str) -> TensorInfo:
        try:
            return self.tensors[name]
        except KeyError:
            raise self._error("no such tensor in the file", name) from None

    def read_bytes(self, name: str) -> bytes:
        t = self.info(name)
        try:
            with open(self.path, "rb") as f:
                f.seek(t.start)
                data = f.read(t.nbytes)
        except OSError as exc:
            raise self._error(f"cannot read: {exc.strerror or exc}", name) from None
        if len(data) != t.nbytes:
            raise self._error("truncated while reading the tensor data", name)
        return data

    def read(self, name: str) -> np.ndarray:
        """The tensor as a (read-only) numpy array of its dtype and shape."""
        t = self.info(name)
        return np.frombuffer(self.read_bytes(name), dtype=DTYPES[t.dtype]).reshape(t.shape)


class SafetensorsWriter:
    """Write a safetensors file tensor by tensor, atomically.

    Parameters
    ----------
    path : str or Path
        The destination; nothing appears there unless :meth:`close` succeeds.
    layout : list of (name, dtype name, shape)
        Every tensor to come, in order; the header is reserved from it.
    metadata : dict of str to str
        A first version of ``__metadata__``; :meth:`close` may replace it by
        one of the same serialized length or shorter.

    Use as a context manager: an exception discards the temporary file.
    """

    def __init__(self, path, layout, metadata: dict[str, str]):
        self.path = Path(path)
        self.layout = [(name, dtype, tuple(int(d) for d in shape)) for name, dtype, shape in layout]
        names = [name for name, _, _ in self.layout]
        if len(set(names)) != len(names):
            raise WeightsError("duplicate tensor names in the output", self.path)
        self._header_len = len(self._header(metadata))
        self._next = 0
        self._out = atomic_output(self.path, "w+b")
        self._file = self._out.__enter__()
        self._done = False
        self._file.write(b"\0" * (8 + self._header_len))

    def _header(self, metadata: dict[str, str], pad_to: int | None = None) -> bytes:
        header: dict = {"__metadata__": metadata} if metadata else {}
        offset = 0
        for name, dtype, shape in self.layout:
            nbytes = math.prod(shape) * DTYPES[dtype].itemsize
            header[name] = {"dtype": dtype, "shape": list(shape),
                            "data_offsets": [offset, offset + nbytes]}
            offset += nbytes
        raw = json.dumps(header, separators=(",", ":")).encode()
        # Spaces pad the header to a multiple of 8 bytes, as the reference writer does.
        target = pad_to if pad_to is not None else -(-len(raw) // 8) * 8
        if len(raw) > target:
            raise RuntimeError("safetensors header grew after it was reserved")
        return raw + b" " * (target - len(raw))

    def write(self, name: str, data) -> None:
        """Write the next tensor (in layout order) from an array or bytes."""
        exp_name, dtype, shape = self.layout[self._next]
        if name != exp_name:
            raise RuntimeError(f"expected tensor {exp_name!r} next, got {name!r}")
        if isinstance(data, (bytes, bytearray, memoryview)):
            buf = bytes(data)
        else:
            arr = np.asarray(data)
            if arr.shape != shape or dtype_name(arr.dtype) != dtype:
                raise RuntimeError(f"{name}: got {arr.dtype} {arr.shape}, expected {dtype} {shape}")
            buf = np.ascontiguousarray(arr, dtype=DTYPES[dtype]).tobytes()
        if len(buf) != math.prod(shape) * DTYPES[dtype].itemsize:
            raise RuntimeError(f"{name}: got {len(buf)} bytes for {dtype} {shape}")
        self._file.write(buf)
        self._next += 1

    def close(self, metadata: dict[str, str]) -> None:
        """Write the final header and move the file into place."""
        if self._next != len(self.layout):
            raise RuntimeError(f"only {self._next} of {len(self.layout)} tensors were written")
        header = self._header(metadata, pad_to=self._header_len)
        self._file.seek(0)
        self._file.write(struct.pack("<Q", len(header)) + header)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._done = True
        self._out.__exit__(None, None, None)  # renames the temporary file to the path

    def discard(self, exc: BaseException | None = None) -> None:
        """Remove the temporary file (the destination stays untouched)."""
        if not self._done:
            self._done = True
            exc = exc if exc is not None else RuntimeError("discarded")
            self._out.__exit__(type(exc), exc, exc.__traceback__)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.discard(exc if exc is not None else None)
        return False
