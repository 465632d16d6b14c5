"""Weight files to read from: ``.npy``, safetensors (float, integer, HF BitNet
packed, int8 trits with a ``.scale`` as ``tritpack unpack`` writes them) and GGUF
(TQ1_0, TQ2_0 and float tensors).

:func:`open_source` lists a file's tensors as :class:`SourceTensor` items
without loading any data; each item's ``load()`` reads that one tensor, so a
whole model is processed one tensor at a time.  Every format error becomes a
:class:`WeightsError` naming the file and, where known, the tensor.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import check_trits
from .errors import WeightsError
from .formats import UNPACKED_SCALE_SUFFIX, not_the_named_format, sniff
from .gguf_tq import TYPE_SIZE, tq_to_trits
from .hf_bitnet import hf_unpack, scale_name
from .stfile import DTYPES, SafetensorsReader, dtype_name
from .ternary import TernaryTensor, expected_scale_shape

__all__ = ["SourceTensor", "Source", "open_source", "FLOAT_DTYPES", "INT_DTYPES"]

FLOAT_DTYPES = ("F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2")
INT_DTYPES = ("I8", "I16", "I32", "I64")
SCALE_DTYPES = ("F32", "F16", "BF16")


@dataclass
class SourceTensor:
    """One tensor of a source file, not yet loaded.

    Members
    -------
    name : str
    kind : str
        ``"float"`` (ternarized by absmean when packed), ``"int"`` (a signed
        integer tensor: packed losslessly only if every value is -1, 0 or 1, see
        :meth:`not_trits`), ``"ternary"`` (already ternary with scales: GGUF
        TQ1_0/TQ2_0, HF packed), ``"raw"`` (only carried), or ``"unsupported"``
        (``reason`` says why).
    dtype : str
        Source type: a safetensors dtype name, or the GGUF type name.
    shape : tuple
        Logical shape (for HF packed weights the unpacked ``[out, in]``);
        ``raw_dtype``/``raw_shape`` are the tensor as stored.
    nbytes : int
        Bytes in the source, including a scale that goes with it.
    load : callable
        Returns an ndarray (float, trits, raw) or a :class:`TernaryTensor`.
    owner : str or None
        For a scale stored beside its tensor (an HF ``weight_scale``, the
        ``NAME.scale`` of ``tritpack unpack``): the tensor it belongs to.
    load_scale : callable or None
        For an integer tensor with a ``NAME.scale`` beside it: reads that scale.
    """

    name: str
    kind: str
    dtype: str
    shape: tuple
    nbytes: int
    load: Callable = field(repr=False)
    reason: str = ""
    owner: str | None = None
    scale_dtype: str | None = None
    layout: str = "tensor"
    mode: str = "multiply"
    origin: dict = field(default_factory=dict)
    load_raw: Callable | None = field(default=None, repr=False)
    raw_shape: tuple | None = None
    load_scale: Callable | None = field(default=None, repr=False)
    _not_trits: str | None = field(default=None, init=False, repr=False)
    _checked: bool = field(default=False, init=False, repr=False)

    @property
    def raw_dtype(self) -> str:
        """Safetensors dtype when carried unchanged (packed bytes for a ternary tensor)."""
        return "U8" if self.kind == "ternary" else self.dtype

    def __post_init__(self):
        if not self.origin:
            fmt = self.kind if self.kind in ("float", "int") else "raw"
            self.origin = {"format": fmt, "dtype": self.dtype, "bytes": int(self.nbytes)}
        if self.kind in ("float", "int") and self.scale_dtype is None:
            self.scale_dtype = "F32"
        if self.load_raw is None:
            self.load_raw = self.load
        if self.raw_shape is None:
            self.raw_shape = self.shape

    @property
    def num_weights(self) -> int:
        return math.prod(self.shape)

    def not_trits(self) -> str | None:
        """For an ``"int"`` tensor: why it is not trits (its first value that is not
        -1, 0 or 1), or None if it is.  Reads the tensor the first time."""
        if self.kind != "int":
            return f"a {self.dtype} tensor, not integer trits"
        if not self._checked:
            try:
                check_trits(self.load(), what=f"{self.dtype} tensor")
            except ValueError as exc:
                self._not_trits = str(exc)
            self._checked = True
        return self._not_trits


@dataclass
class Source:
    """A weight file's format (``npy``, ``safetensors``, ``gguf``), tensors and details."""

    path: Path
    format: str
    tensors: list[SourceTensor]
    details: dict = field(default_factory=dict)

    def find(self, name: str) -> SourceTensor:
        for t in self.tensors:
            if t.name == name:
                return t
        raise WeightsError("no such tensor in the file", self.path, name)


def _wrap(path, name, fn):
    """Run a loader, turning any format error into a WeightsError naming file and tensor."""

    def load():
        try:
            return fn()
        except WeightsError as exc:
            raise exc.at(path, name) from None
        except (ValueError, TypeError, OSError, IndexError, KeyError) as exc:
            raise WeightsError(str(exc), path, name) from None

    return load


def open_source(path) -> Source:
    """Open a weight file by its content (magic bytes), not its name.

    Raises
    ------
    WeightsError
        If the file cannot be read or parsed; the message says what the file is
        and what was expected.
    """
    path = Path(path)
    fmt, size = sniff(path)
    if fmt == "gguf":
        return _open_gguf(path)
    if fmt == "npy":
        return _open_npy(path)
    try:
        return _open_safetensors(path)
    except WeightsError:
        named = not_the_named_format(path, size)  # e.g. x.gguf without the GGUF magic
        if named is not None:
            raise named from None
        raise


def _kind_of(dtype: str) -> str:
    if dtype in FLOAT_DTYPES:
        return "float"
    if dtype in INT_DTYPES:
        return "int"
    return "raw"


def _npy_data_check(path: Path) -> None:
    """Refuse a .npy file whose header cannot be read or describes more data than the file."""
    from ..inputs import InputError, npy_header

    try:
        npy_header(path, path.stat().st_size)
    except InputError as exc:
        raise WeightsError(exc.reason, path) from None
    except OSError as exc:
        raise WeightsError(f"cannot read: {exc.strerror or exc}", path) from None


def _open_npy(path: Path) -> Source:
    _npy_data_check(path)
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise WeightsError(f"corrupt or truncated .npy file: {exc}", path) from None
    name = path.stem
    try:
        dtype = dtype_name(arr.dtype)
    except WeightsError:
        raise WeightsError(f"unsupported dtype {arr.dtype}", path, name) from None
    t = SourceTensor(name, _kind_of(dtype), dtype, tuple(arr.shape), int(arr.nbytes),
                     _wrap(path, name, lambda: np.array(arr)))
    return Source(path, "npy", [t])


def _int_scale(st: SafetensorsReader, name: str) -> str | None:
    """The ``NAME.scale`` of an integer tensor, as ``tritpack unpack`` writes it, or None."""
    info, sname = st.info(name), name + UNPACKED_SCALE_SUFFIX
    if info.dtype not in INT_DTYPES or sname not in st:
        return None
    s = st.info(sname)
    shapes = {expected_scale_shape(info.size, lay) for lay in ("tensor", "block256")}
    return sname if s.dtype in SCALE_DTYPES and s.shape in shapes else None


def _open_safetensors(path: Path) -> Source:
    st = SafetensorsReader(path)
    items = []
    owners = {}
    for name, info in st.tensors.items():
        sname = scale_name(name)
        if info.dtype == "U8" and sname in st and len(info.shape) >= 1:
            owners[sname] = name
        elif (sname := _int_scale(st, name)) is not None:
            owners[sname] = name
    for name, info in st.tensors.items():
        if name in owners:
            items.append(SourceTensor(name, "raw", info.dtype, info.shape, info.nbytes,
                                      _wrap(path, name, lambda n=name: st.read(n)),
                                      owner=owners[name]))
            continue
        if scale_name(name) in owners:
            items.append(_hf_item(st, path, name))
            continue
        load = _wrap(path, name, lambda n=name: st.read(n))
        sname = name + UNPACKED_SCALE_SUFFIX
        if sname in owners:
            s = st.info(sname)
            layout = "tensor" if s.shape == (1,) else "block256"
            items.append(SourceTensor(
                name, "int", info.dtype, info.shape, info.nbytes + s.nbytes, load,
                scale_dtype=s.dtype, layout=layout, load_raw=load,
                load_scale=_wrap(path, sname, lambda n=sname: st.read(n))))
            continue
        items.append(SourceTensor(name, _kind_of(info.dtype), info.dtype, info.shape,
                                  info.nbytes, load))
    return Source(path, "safetensors", items, {"metadata": dict(st.metadata)})


def _hf_item(st: SafetensorsReader, path: Path, name: str) -> SourceTensor:
    info, sinfo = st.info(name), st.info(scale_name(name))
    shape = (4 * info.shape[0], *info.shape[1:])
    nbytes = info.nbytes + sinfo.nbytes
    if sinfo.dtype not in ("F32", "F16", "BF16") or sinfo.size != 1:
        return SourceTensor(name, "unsupported", "U8", shape, nbytes, None,
                            reason=f"HF weight_scale is {sinfo.dtype} {list(sinfo.shape)}; "
                            "expected a single F32, F16 or BF16 number")

    origin = {"format": "hf", "dtype": "U8", "bytes": nbytes, "scale_shape": list(sinfo.shape)}

    def load():
        trits = hf_unpack(st.read(name))
        scale = st.read(scale_name(name)).reshape(1)
        return TernaryTensor(trits, scale, "tensor", "divide", origin)

    return SourceTensor(name, "ternary", "U8", shape, nbytes, _wrap(path, name, load),
                        scale_dtype=sinfo.dtype, mode="divide", origin=origin,
                        load_raw=_wrap(path, name, lambda: st.read(name)), raw_shape=info.shape)


_GGUF_FLOATS = {"F32": "F32", "F16": "F16", "BF16": "BF16", "F64": "F64"}
_GGUF_INTS = {"I8": "I8", "I16": "I16", "I32": "I32", "I64": "I64"}


def _open_gguf(path: Path) -> Source:
    try:
        from gguf import GGUFReader

        reader = GGUFReader(path, "r")
        tensors = list(reader.tensors)
        arch = reader.get_field("general.architecture")
        arch = arch.contents() if arch is not None else None
        alignment = int(reader.alignment)
        kv, dropped = _gguf_kv(reader)
    except Exception as exc:  # gguf raises many types on bad input; all mean a corrupt file
        raise WeightsError(f"corrupt or truncated GGUF file: {type(exc).__name__}: {exc}",
                           path) from None
    size = path.stat().st_size
    items = []
    for t in tensors:
        name = t.name
        qtype = t.tensor_type.name
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))
        nbytes = int(t.n_bytes)
        if t.data_offset + nbytes > size or t.data.nbytes != nbytes:
            raise WeightsError(f"truncated: {qtype} data ends at byte {t.data_offset + nbytes}, "
                               f"the file has {size}", path, name)
        if qtype in TYPE_SIZE:
            items.append(_gguf_tq_item(path, t, name, qtype, shape, nbytes))
        elif qtype in _GGUF_FLOATS or qtype in _GGUF_INTS:
            dtype = _GGUF_FLOATS.get(qtype) or _GGUF_INTS[qtype]

            def load(t=t, dtype=dtype, shape=shape):
                data = np.asarray(t.data)
                if dtype == "BF16":  # gguf hands BF16 out as raw bytes
                    data = data.view(np.uint8).view(DTYPES["BF16"])
                return np.array(data.reshape(shape), dtype=DTYPES[dtype])

            kind = "float" if qtype in _GGUF_FLOATS else "raw"
            items.append(SourceTensor(name, kind, dtype, shape, nbytes, _wrap(path, name, load)))
        else:
            items.append(SourceTensor(
                name, "unsupported", qtype, shape, nbytes, None,
                reason=f"unsupported GGUF quantization type {qtype}; "
                "expected TQ1_0, TQ2_0, F32, F16, BF16 or an integer type"))
    details = {"architecture": arch, "alignment": alignment, "gguf_kv": kv}
    if dropped:
        details["gguf_kv_dropped"] = dropped
    return Source(path, "gguf", items, details)


def _gguf_text(part) -> str:
    # surrogateescape keeps any byte sequence, valid UTF-8 or not, through JSON and back.
    return bytes(part).decode("utf-8", "surrogateescape")


def _gguf_kv(reader) -> tuple[list, list]:
    """The file's metadata as JSON-able ``[key, type, sub_type, value]``, to write it back.

    Keys GGUF itself writes (``GGUF.*``) are left out; nested arrays, which the
    gguf writer cannot reproduce, and empty arrays, which it refuses, are listed as dropped.
    """
    from gguf import GGUFValueType as V

    kv, dropped = [], []
    for f in reader.fields.values():
        if f.name.startswith("GGUF."):
            continue
        main = f.types[0]
        if main == V.ARRAY:
            sub = f.types[-1]
            if len(f.types) != 2 or not f.data:
                dropped.append(f.name)
                continue
            if sub == V.STRING:
                value = [_gguf_text(f.parts[i]) for i in f.data]
            else:
                value = [v for i in f.data for v in f.parts[i].tolist()]
            kv.append([f.name, main.name, sub.name, value])
        elif main == V.STRING:
            kv.append([f.name, main.name, None, _gguf_text(f.parts[-1])])
        else:
            kv.append([f.name, main.name, None, f.parts[-1].tolist()[0]])
    return kv, dropped


def _gguf_tq_item(path, t, name, qtype, shape, nbytes) -> SourceTensor:
    # Converters write the same d in every block of a BitNet tensor: then one fp16 number
    # stands for all of them (0.06 bits per weight less), and writing it back into every
    # block gives the same bytes.  Otherwise every block keeps its own.
    d = np.asarray(t.data).reshape(-1, TYPE_SIZE[qtype])[:, -2:].copy().view(np.uint16)
    layout = "tensor" if d.size and (d == d[0, 0]).all() else "block256"
    origin = {"format": "gguf", "dtype": qtype, "bytes": nbytes}

    def load():
        trits, d = tq_to_trits(t.data, qtype)
        if layout == "tensor":
            if (d.view(np.uint16) != d[:1].view(np.uint16)).any():
                raise ValueError("the block scales changed while the file was being read")
            d = d[:1]
        return TernaryTensor(trits.reshape(shape), d, layout, "multiply", origin)

    return SourceTensor(name, "ternary", qtype, shape, nbytes, _wrap(path, name, load),
                        scale_dtype="F16", layout=layout, origin=origin,
                        load_raw=_wrap(path, name, lambda: np.array(t.data)),
                        raw_shape=tuple(t.data.shape))
