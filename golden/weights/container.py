"""The packed container: a safetensors file of packed ternary blocks and their scales.

Each ternary tensor ``NAME`` is stored as two safetensors tensors:

``NAME``
    ``U8 [bytes]``: the :func:`golden.pack` blocks (C order, zero-padded tail);
``NAME:scale``
    its scale(s), in the dtype the source had (see :mod:`.ternary`).

Other tensors (embeddings, norms) are carried unchanged under their own name.
``__metadata__["tritpack"]`` is a JSON document::

    {"format": "tritpack-weights", "version": 1, "source": {...},
     "tensors": [{"name", "kind": "ternary", "shape", "codec", "block",
                  "padding", "scale": {"layout", "mode"}, "origin", "crc32"},
                 {"name", "kind": "raw", "origin", "crc32"}, ...]}

``__metadata__["tritpack.crc32"]`` is the CRC-32 of that document, and each
entry's ``crc32`` (8 hex digits) covers the entry itself (all its other fields, as
canonical JSON), the dtype and shape of each of its safetensors tensors and
their bytes: a flipped byte anywhere in a tensor or its description is caught,
instead of decoding to a wrong tensor.  The reader checks everything else too
(names, codec, block, padding, sizes, valid codes, zero padding) and raises
:class:`ContainerError` (a ValueError) naming file and tensor.
"""

from __future__ import annotations

import fnmatch
import json
import math
import zlib
from dataclasses import dataclass

import numpy as np

from .. import BLOCK_SIZES, CODEC_NAMES, PackedTensor, decode, padded_length
from .. import pack as golden_pack
from .errors import ContainerError, WeightsError
from .formats import describe, sniff
from .stfile import DTYPES, SafetensorsReader, SafetensorsWriter
from .ternary import LAYOUTS, MODES, TernaryTensor, expected_scale_shape

__all__ = [
    "FORMAT", "VERSION", "META_KEY", "SCALE_SUFFIX", "SCALE_DTYPES",
    "Entry", "ContainerWriter", "Container", "is_container",
]

FORMAT = "tritpack-weights"
VERSION = 1
META_KEY = "tritpack"
CRC_KEY = "tritpack.crc32"  # of the META_KEY text: a flip anywhere in the metadata is caught
SCALE_SUFFIX = ":scale"
SCALE_DTYPES = ("F32", "F16", "BF16")
_PLACEHOLDER = "00000000"


@dataclass
class Entry:
    """One tensor of the container, as described in the metadata.

    ``dtype``/``shape`` describe the stored tensor: ``U8 [bytes]`` for a
    ternary one, its own for a raw one; ``scale_dtype``/``scale_shape`` only
    for ternary tensors.
    """

    meta: dict
    dtype: str
    stored_shape: tuple
    scale_dtype: str | None = None
    scale_shape: tuple | None = None

    @property
    def name(self) -> str:
        return self.meta["name"]

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def shape(self) -> tuple:
        """Logical shape: the ternary tensor's, or the raw tensor's."""
        return tuple(self.meta["shape"]) if self.kind == "ternary" else self.stored_shape

    @property
    def num_weights(self) -> int:
        return math.prod(self.shape)

    @property
    def data_bytes(self) -> int:
        return math.prod(self.stored_shape) * DTYPES[self.dtype].itemsize

    @property
    def scale_bytes(self) -> int:
        if self.scale_dtype is None:
            return 0
        return math.prod(self.scale_shape) * DTYPES[self.scale_dtype].itemsize

    def layout(self) -> list:
        """The safetensors tensors of this entry: (name, dtype, shape)."""
        out = [(self.name, self.dtype, self.stored_shape)]
        if self.kind == "ternary":
            out.append((self.name + SCALE_SUFFIX, self.scale_dtype, self.scale_shape))
        return out

    def crc_seed(self) -> int:
        desc = {"entry": {k: v for k, v in self.meta.items() if k != "crc32"},
                "tensors": [[n, d, list(s)] for n, d, s in self.layout()]}
        return zlib.crc32(json.dumps(desc, sort_keys=True, separators=(",", ":")).encode())

    @classmethod
    def ternary(cls, name, shape, codec, block, scale_dtype, layout, mode, origin) -> Entry:
        shape = tuple(int(d) for d in shape)
        n = math.prod(shape)
        padded = padded_length(n, block)
        meta = {"name": name, "kind": "ternary", "shape": list(shape), "codec": codec,
                "block": block, "padding": padded - n,
                "scale": {"layout": layout, "mode": mode}, "origin": origin, "crc32": _PLACEHOLDER}
        return cls(meta, "U8", (padded // 5,), scale_dtype, expected_scale_shape(n, layout))

    @classmethod
    def raw(cls, name, dtype, shape, origin) -> Entry:
        meta = {"name": name, "kind": "raw", "origin": origin, "crc32": _PLACEHOLDER}
        return cls(meta, dtype, tuple(int(d) for d in shape))


def _metadata(entries, source: dict) -> dict[str, str]:
    doc = {"format": FORMAT, "version": VERSION, "source": source,
           "tensors": [e.meta for e in entries]}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return {META_KEY: text, CRC_KEY: f"{zlib.crc32(text.encode()):08x}"}


class ContainerWriter:
    """Write a container tensor by tensor (streaming, atomic).

    Parameters
    ----------
    path : str or Path
        Destination; it appears only when :meth:`close` succeeds.
    entries : list of Entry
        Every tensor to come, in order (from :meth:`Entry.ternary`/:meth:`Entry.raw`).
    source : dict
        Free-form description of the source (format, file name, ...).
    """

    def __init__(self, path, entries: list[Entry], source: dict):
        self.entries = entries
        self.source = source
        names = set()
        for e in entries:
            for n, _, _ in e.layout():
                if n in names:
                    raise WeightsError("two tensors would have the same name in the container",
                                       path, n)
                names.add(n)
        layout = [t for e in entries for t in e.layout()]
        self._st = SafetensorsWriter(path, layout, _metadata(entries, source))
        self._i = 0

    def _next(self, name: str) -> Entry:
        e = self.entries[self._i]
        if e.name != name:
            raise RuntimeError(f"expected tensor {e.name!r} next, got {name!r}")
        self._i += 1
        return e

    def write_ternary(self, name: str, t: TernaryTensor) -> PackedTensor:
        """Pack and write the next tensor, a ternary one; returns the packed blocks."""
        e = self._next(name)
        if tuple(t.trits.shape) != e.shape or t.layout != e.meta["scale"]["layout"]:
            raise RuntimeError(f"{name}: tensor does not match its planned entry")
        packed = golden_pack(t.trits, e.meta["codec"], e.meta["block"])
        scale = np.ascontiguousarray(t.scale, dtype=DTYPES[e.scale_dtype]).reshape(e.scale_shape)
        crc = e.crc_seed()
        for n, arr in ((name, packed.data), (name + SCALE_SUFFIX, scale)):
            buf = arr.tobytes()
            crc = zlib.crc32(buf, crc)
            self._st.write(n, buf)
        e.meta["crc32"] = f"{crc:08x}"
        return packed

    def write_raw(self, name: str, arr) -> None:
        """Write the next tensor, carried unchanged."""
        e = self._next(name)
        buf = np.ascontiguousarray(arr, dtype=DTYPES[e.dtype]).tobytes()
        e.meta["crc32"] = f"{zlib.crc32(buf, e.crc_seed()):08x}"
        self._st.write(name, buf)

    def close(self) -> None:
        self._st.close(_metadata(self.entries, self.source))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return self._st.__exit__(exc_type, exc, tb)


def is_container(path) -> bool:
    """Whether ``path`` (or an open :class:`SafetensorsReader`) is a tritpack container.

    Raises
    ------
    WeightsError
        If the file cannot be read, or looks like safetensors but is not valid.
    """
    if isinstance(path, SafetensorsReader):
        return META_KEY in path.metadata
    if sniff(path)[0] != "safetensors":
        return False
    return META_KEY in SafetensorsReader(path).metadata


def _need(cond, reason, path, name=None):
    if not cond:
        raise ContainerError(reason, path, name)


def _is_int(x, lo=0):
    return isinstance(x, int) and not isinstance(x, bool) and x >= lo


class Container:
    """A validated container; tensors are read and checked one at a time.

    Parameters
    ----------
    path : str or Path
        The file.

    Members
    -------
    entries : dict of str to Entry
        In file order.
    source : dict
        The source description written by the packer.

    Raises
    ------
    ContainerError
        If the file is not a valid safetensors file, not a container, or its
        metadata is inconsistent with the tensors it holds.
    """

    def __init__(self, path):
        self.path = path
        try:
            fmt, _ = sniff(path)
            _need(fmt == "safetensors", f"this is a {describe(fmt)}, not a tritpack container; "
                  "use 'tritpack pack' or 'tritpack transcode' to make one", path)
            self._st = SafetensorsReader(path)
        except ContainerError:
            raise
        except WeightsError as exc:
            raise ContainerError(exc.reason, exc.path, exc.tensor) from None
        meta = self._st.metadata.get(META_KEY)
        _need(meta is not None, f"not a tritpack container (a safetensors file without "
              f"{META_KEY!r} metadata); use 'tritpack pack' or 'tritpack transcode' to make "
              "one", path)
        crc = f"{zlib.crc32(meta.encode('utf-8', 'surrogatepass')):08x}"
        _need(self._st.metadata.get(CRC_KEY) == crc,
              f"container metadata checksum mismatch (crc32 {crc}, recorded "
              f"{self._st.metadata.get(CRC_KEY)!r}): the file is corrupt", path)
        try:
            doc = json.loads(meta)
        except json.JSONDecodeError as exc:
            raise ContainerError(f"corrupt container metadata: {exc}", path) from None
        _need(isinstance(doc, dict) and doc.get("format") == FORMAT,
              f"corrupt container metadata: format is not {FORMAT!r}", path)
        _need(doc.get("version") == VERSION,
              f"unsupported container version {doc.get('version')!r}; this reader knows {VERSION}",
              path)
        _need(isinstance(doc.get("source"), dict) and isinstance(doc.get("tensors"), list),
              "corrupt container metadata: expected source and tensors", path)
        self.source = doc["source"]
        self.entries: dict[str, Entry] = {}
        claimed = set()
        for meta in doc["tensors"]:
            e = self._entry(meta)
            _need(e.name not in self.entries, "listed twice in the container metadata", path,
                  e.name)
            self.entries[e.name] = e
            claimed.update(n for n, _, _ in e.layout())
        unclaimed = [n for n in self._st.tensors if n not in claimed]
        _need(not unclaimed, "tensor is not described by the container metadata", path,
              unclaimed[0] if unclaimed else None)

    def _entry(self, meta) -> Entry:
        path = self.path
        _need(isinstance(meta, dict) and isinstance(meta.get("name"), str),
              "corrupt container metadata: tensor entry without a name", path)
        name = meta["name"]
        kind = meta.get("kind")
        _need(isinstance(meta.get("origin"), dict), "corrupt metadata: no origin", path, name)
        crc = meta.get("crc32")
        _need(isinstance(crc, str) and len(crc) == 8 and all(c in "0123456789abcdef" for c in crc),
              f"corrupt metadata: bad crc32 {crc!r}", path, name)
        _need(name in self._st, "listed in the metadata but missing from the file", path, name)
        data = self._st.info(name)
        if kind == "raw":
            _need(set(meta) == {"name", "kind", "origin", "crc32"},
                  "corrupt metadata: unexpected fields", path, name)
            return Entry(meta, data.dtype, data.shape)
        _need(kind == "ternary", f"corrupt metadata: unknown kind {kind!r}", path, name)
        _need(set(meta) == {"name", "kind", "shape", "codec", "block", "padding", "scale",
                            "origin", "crc32"}, "corrupt metadata: unexpected fields", path, name)
        shape, codec, block = meta["shape"], meta["codec"], meta["block"]
        _need(isinstance(shape, list) and all(_is_int(d) for d in shape),
              f"corrupt metadata: bad shape {shape!r}", path, name)
        _need(codec in CODEC_NAMES,
              f"unknown codec {codec!r}; expected one of {', '.join(CODEC_NAMES)}", path, name)
        _need(block in BLOCK_SIZES and _is_int(block),
              f"bad block size {block!r}; expected one of {BLOCK_SIZES}", path, name)
        n = math.prod(shape)
        padded = padded_length(n, block)
        _need(meta["padding"] == padded - n,
              f"padding is {meta['padding']!r}, expected {padded - n} for shape {shape} "
              f"in blocks of {block}", path, name)
        _need(data.dtype == "U8" and data.shape == (padded // 5,),
              f"packed data is {data.dtype} {list(data.shape)}, expected U8 [{padded // 5}] "
              f"for shape {shape} in blocks of {block}", path, name)
        scale = meta["scale"]
        _need(isinstance(scale, dict) and scale.get("layout") in LAYOUTS
              and scale.get("mode") in MODES and len(scale) == 2,
              f"corrupt metadata: bad scale description {scale!r}", path, name)
        sname = name + SCALE_SUFFIX
        _need(sname in self._st, "scale tensor missing from the file", path, sname)
        sinfo = self._st.info(sname)
        expected = expected_scale_shape(n, scale["layout"])
        _need(sinfo.dtype in SCALE_DTYPES and sinfo.shape == expected,
              f"scale is {sinfo.dtype} {list(sinfo.shape)}, expected one of "
              f"{'/'.join(SCALE_DTYPES)} {list(expected)}", path, sname)
        return Entry(meta, "U8", data.shape, sinfo.dtype, sinfo.shape)

    def __iter__(self):
        return iter(self.entries.values())

    def entry(self, name: str) -> Entry:
        try:
            return self.entries[name]
        except KeyError:
            raise ContainerError("no such tensor in the container", self.path, name) from None

    def select(self, patterns) -> list[Entry]:
        """Entries whose name matches any glob of ``patterns`` (all when None).

        Raises ContainerError for a pattern that matches nothing.
        """
        if not patterns:
            return list(self.entries.values())
        for p in patterns:
            if not any(fnmatch.fnmatchcase(n, p) for n in self.entries):
                raise ContainerError("no such tensor in the container", self.path, p)
        return [e for e in self.entries.values()
                if any(fnmatch.fnmatchcase(e.name, p) for p in patterns)]

    def _read_checked(self, e: Entry) -> list[bytes]:
        try:
            bufs = [self._st.read_bytes(n) for n, _, _ in e.layout()]
        except ContainerError:
            raise
        except WeightsError as exc:  # e.g. the file shrank since it was opened
            raise ContainerError(exc.reason, exc.path, exc.tensor) from None
        crc = e.crc_seed()
        for b in bufs:
            crc = zlib.crc32(b, crc)
        _need(f"{crc:08x}" == e.meta["crc32"],
              f"checksum mismatch (crc32 {crc:08x}, metadata says {e.meta['crc32']}): "
              "the file is corrupt", self.path, e.name)
        return bufs

    def read_packed(self, name: str) -> tuple[PackedTensor, TernaryTensor]:
        """Read, verify and decode a ternary tensor.

        Returns the packed blocks as stored and the decoded tensor with its scale.
        """
        e = self.entry(name)
        _need(e.kind == "ternary", "is not a ternary tensor", self.path, name)
        data, sbuf = self._read_checked(e)
        m = e.meta
        packed = PackedTensor(np.frombuffer(data, np.uint8), tuple(m["shape"]), m["block"],
                              m["codec"])
        try:
            full = decode(packed.data, m["codec"])
        except ValueError as exc:
            raise ContainerError(str(exc), self.path, name) from None
        _need(not full[e.num_weights:].any(), "padding trits are not zero", self.path, name)
        trits = full[: e.num_weights].reshape(packed.shape)
        scale = np.frombuffer(sbuf, DTYPES[e.scale_dtype]).reshape(e.scale_shape)
        t = TernaryTensor(trits, scale, m["scale"]["layout"], m["scale"]["mode"], m["origin"])
        return packed, t

    def read_ternary(self, name: str) -> TernaryTensor:
        return self.read_packed(name)[1]

    def read_raw(self, name: str) -> np.ndarray:
        """Read and verify a tensor carried unchanged."""
        e = self.entry(name)
        _need(e.kind == "raw", "is not a raw tensor", self.path, name)
        (buf,) = self._read_checked(e)
        return np.frombuffer(buf, DTYPES[e.dtype]).reshape(e.stored_shape)

    def verify(self) -> None:
        """Read and check every tensor (checksums, codes, padding)."""
        for e in self:
            if e.kind == "ternary":
                self.read_packed(e.name)
            else:
                self.read_raw(e.name)

