"""Pack a weight file into a container, one tensor at a time.

Which tensors become ternary:

* with ``--tensors GLOB`` (any number): exactly those that match (each glob
  must match something); float ones are ternarized with absmean;
* by default: every already-ternary tensor (GGUF TQ1_0/TQ2_0, HF packed,
  integer tensors of -1/0/1), and every float tensor of 2 or more dimensions
  of a safetensors or ``.npy`` file whose name does not match
  :data:`DEFAULT_EXCLUDE` (embeddings, output head, norms stay as they are).

The rest is carried unchanged (``keep_other``) or left out.  In ``lossless``
mode (transcoding) float tensors are never ternarized.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from .. import check_trits
from .absmean import absmean_ternarize
from .container import ContainerWriter, Entry
from .errors import WeightsError
from .report import TensorSize
from .sources import Source, SourceTensor, open_source
from .ternary import TernaryTensor

__all__ = ["DEFAULT_EXCLUDE", "Step", "plan", "pack_file", "ternarize", "PackResult"]

DEFAULT_EXCLUDE = ("*embed*", "*lm_head*", "*norm*", "output.weight")


@dataclass
class Step:
    """What to do with one source tensor: ``"pack"``, ``"raw"`` or ``"skip"``."""

    tensor: SourceTensor
    action: str


@dataclass
class PackResult:
    """What :func:`pack_file` wrote: the packed tensors' sizes and the bytes carried as-is."""

    sizes: list[TensorSize]
    other_bytes: int
    skipped: list[str]


def _matches(name, patterns) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _default_pack(t: SourceTensor, source: Source) -> bool:
    if t.kind in ("ternary", "trits"):
        return True
    return (t.kind == "float" and source.format != "gguf" and len(t.shape) >= 2
            and not _matches(t.name, DEFAULT_EXCLUDE))


def plan(source: Source, patterns=None, keep_other: bool = True,
         lossless: bool = False) -> list[Step]:
    """Decide for each tensor of ``source`` whether to pack, carry or skip it.

    Raises
    ------
    WeightsError
        For a glob that matches no tensor, a selected tensor that cannot be
        made ternary (or only lossily, in ``lossless`` mode), or an
        unsupported tensor that would have to be carried.
    """
    path = source.path
    for p in patterns or ():
        if not any(fnmatch.fnmatchcase(t.name, p) for t in source.tensors):
            raise WeightsError("no such tensor in the file", path, p)
    steps = {}
    for t in source.tensors:
        if t.owner is not None:
            continue
        pick = _matches(t.name, patterns) if patterns else _default_pack(t, source)
        if pick and lossless and t.kind == "float":
            if patterns:
                raise WeightsError(f"transcoding is lossless, but this {t.dtype} tensor would "
                                   "have to be ternarized; use 'tritpack pack'", path, t.name)
            pick = False
        if pick:
            if t.kind == "unsupported":
                raise WeightsError(t.reason, path, t.name)
            if t.kind == "raw":
                raise WeightsError(f"cannot make a {t.dtype} tensor ternary", path, t.name)
            steps[t.name] = Step(t, "pack")
        elif keep_other:
            if t.kind == "unsupported":
                raise WeightsError(t.reason + " (use --skip-other to leave it out)", path, t.name)
            steps[t.name] = Step(t, "raw")
        else:
            steps[t.name] = Step(t, "skip")
    for t in source.tensors:
        if t.owner is not None:  # an HF weight_scale goes into its packed weight, or stays raw
            owner = steps[t.owner].action
            steps[t.name] = Step(t, "skip" if owner == "pack" else owner)
    return [steps[t.name] for t in source.tensors]


def ternarize(t: SourceTensor) -> TernaryTensor:
    """Load one source tensor as ternary (absmean for floats)."""
    data = t.load()
    if isinstance(data, TernaryTensor):
        return data
    if t.kind == "float":
        try:
            trits, scale = absmean_ternarize(data)
        except ValueError as exc:
            raise WeightsError(str(exc), None, t.name) from None
        return TernaryTensor(trits, np.array([scale], np.float32), origin=t.origin)
    try:
        trits = check_trits(data, what="integer tensor").reshape(data.shape)
    except ValueError as exc:
        raise WeightsError(f"{exc}; only -1/0/1 integer tensors can be packed", None,
                           t.name) from None
    return TernaryTensor(trits, np.ones(1, np.float32), origin=t.origin)


def entry_for(step: Step, codec: str, block: int) -> Entry:
    t = step.tensor
    if step.action == "pack":
        return Entry.ternary(t.name, t.shape, codec, block, t.scale_dtype, t.layout, t.mode,
                             t.origin)
    return Entry.raw(t.name, t.raw_dtype, t.raw_shape, t.origin)


def pack_file(src, dst, codec: str = "standard", block: int = 320, patterns=None,
              keep_other: bool = True, lossless: bool = False,
              progress: bool | None = None) -> PackResult:
    """Pack ``src`` (npy, safetensors or GGUF) into the container ``dst``.

    Streams one tensor at a time; ``dst`` appears only if everything succeeds.
    ``progress=None`` shows a bar only on a terminal.

    Raises
    ------
    WeightsError
        For any bad input, naming file and tensor; ``dst`` is then untouched.
    """
    source = open_source(src)
    steps = plan(source, patterns, keep_other, lossless)
    todo = [s for s in steps if s.action != "skip"]
    if not todo:
        raise WeightsError("no tensor to write", source.path)
    if lossless and not any(s.action == "pack" for s in todo):
        raise WeightsError("no TQ1_0, TQ2_0, HF packed or integer ternary tensor to transcode",
                           source.path)
    entries = [entry_for(s, codec, block) for s in todo]
    details = {k: v for k, v in source.details.items() if v is not None}
    src_desc = {"format": source.format, "file": source.path.name, **details}
    sizes, other = [], 0
    total = sum(s.tensor.nbytes for s in todo)
    bar = tqdm(total=total, unit="B", unit_scale=True, desc="pack", leave=False,
               disable=(None if progress is None else not progress))
    try:
        with ContainerWriter(dst, entries, src_desc) as w:
            for s, e in zip(todo, entries, strict=True):
                t = s.tensor
                bar.set_postfix_str(t.name[-40:], refresh=False)
                try:
                    if s.action == "pack":
                        tt = ternarize(t)
                        packed = w.write_ternary(t.name, tt)
                        sizes.append(TensorSize(t.name, tuple(t.shape), t.dtype, t.nbytes,
                                                packed.data.nbytes, e.scale_bytes))
                    else:
                        w.write_raw(t.name, t.load_raw())
                        other += e.data_bytes
                except WeightsError as exc:
                    raise exc.at(source.path, t.name) from None
                bar.update(t.nbytes)
            w.close()
    finally:
        bar.close()
    skipped = [s.tensor.name for s in steps if s.action == "skip" and s.tensor.owner is None]
    return PackResult(sizes, other, skipped)
