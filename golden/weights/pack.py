"""Pack a weight file into a container, one tensor at a time.

Which tensors become ternary (:func:`plan`, used by ``pack``, ``info`` and
``transcode`` alike, so ``info`` says exactly what ``pack`` will do):

* with ``--tensors GLOB`` (any number): exactly those that match (each glob
  must match something); float ones are ternarized with absmean, integer ones
  must hold only -1/0/1;
* by default: every already-ternary tensor (GGUF TQ1_0/TQ2_0, HF packed),
  every integer tensor whose values are all -1, 0 or 1 (other integer tensors,
  such as ``position_ids``, are carried), and every float tensor of 2 or more
  dimensions of a safetensors or ``.npy`` file whose name does not match
  :data:`DEFAULT_EXCLUDE` (embeddings, output head, norms stay as they are);
* ``--exclude GLOB`` (any number; each must match something) takes tensors
  out of either selection.

The rest is carried unchanged (``keep_other``) or left out.  In ``lossless``
mode (transcoding) float tensors are never ternarized.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import numpy as np

from .. import check_trits
from .absmean import absmean_ternarize
from .container import ContainerWriter, Entry
from .errors import WeightsError
from .report import TensorSize
from .sources import Source, SourceTensor, open_source
from .ternary import TernaryTensor

__all__ = ["DEFAULT_EXCLUDE", "ACTIONS", "Step", "plan", "pack_file", "ternarize",
           "PackResult"]

#: Left out of the default selection (matched case-insensitively): embeddings
#: (HF ``embed``, GGUF ``token_embd``), the output head and norms (``LayerNorm``).
DEFAULT_EXCLUDE = ("*embed*", "*embd*", "*lm_head*", "*norm*", "output.weight")

#: What :func:`plan` decides for a tensor.
ACTIONS = ("pack", "raw", "skip", "error")


@dataclass
class Step:
    """What to do with one source tensor, and why.

    Members
    -------
    tensor : SourceTensor
    action : str
        ``"pack"`` (into ternary blocks), ``"raw"`` (carried unchanged),
        ``"skip"`` (left out, or stored inside the tensor it is the scale of), or
        ``"error"`` (only from ``plan(..., strict=False)``: ``why`` is the error
        ``pack`` would stop with).
    why : str
        The reason, for ``info`` and for messages: ``"absmean"``, ``"lossless"``,
        ``"1-D"``, ``"name matches *norm*"``, ...
    """

    tensor: SourceTensor
    action: str
    why: str = ""


@dataclass
class PackResult:
    """What :func:`pack_file` wrote: the packed tensors' sizes, the bytes carried
    as-is, the names left out, and every tensor's :class:`Step`."""

    sizes: list[TensorSize]
    other_bytes: int
    skipped: list[str]
    steps: list[Step]


def _matches(name, patterns) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _default_exclusion(name: str) -> str | None:
    low = name.lower()
    return next((p for p in DEFAULT_EXCLUDE if fnmatch.fnmatchcase(low, p)), None)


def _default_pick(t: SourceTensor, source: Source) -> tuple[bool, str]:
    """Whether the default selection packs ``t``, and why (not)."""
    if t.kind == "ternary":
        return True, "lossless"
    if t.kind == "int":
        return True, "lossless"  # if its values are trits: checked by plan
    if t.kind == "unsupported":
        return False, t.reason
    if t.kind == "raw":
        return False, f"{t.dtype}: neither float nor integer"
    if source.format == "gguf":
        return False, "a GGUF float tensor (name it with --tensors to ternarize it)"
    if len(t.shape) < 2:
        return False, f"{len(t.shape)}-D (by default only 2-D and larger floats are packed)"
    pattern = _default_exclusion(t.name)
    if pattern is not None:
        return False, f"name matches {pattern} (default exclusions; name it with --tensors)"
    return True, "absmean"


def plan(source: Source, patterns=None, keep_other: bool = True, lossless: bool = False,
         exclude=None, strict: bool = True) -> list[Step]:
    """Decide for each tensor of ``source`` whether to pack, carry or skip it, and why.

    Parameters
    ----------
    source : Source
    patterns : list of str, optional
        ``--tensors``: pack exactly the tensors matching one of these globs.
    keep_other : bool
        Carry the tensors that are not packed (else leave them out).
    lossless : bool
        Never ternarize floats (``transcode``).
    exclude : list of str, optional
        ``--exclude``: never pack the tensors matching one of these globs.
    strict : bool
        Raise on the first tensor ``pack`` would stop at; with False, such a
        tensor gets action ``"error"`` and the message as ``why`` (``info``).

    Raises
    ------
    WeightsError
        For a glob that matches no tensor; with ``strict``, a selected tensor
        that cannot be made ternary (or only lossily, in ``lossless`` mode), or
        an unsupported tensor that would have to be carried.

    Notes
    -----
    Deciding whether an integer tensor holds trits reads it.
    """
    path = source.path
    for option, globs in (("--tensors", patterns), ("--exclude", exclude)):
        for p in globs or ():
            if not any(fnmatch.fnmatchcase(t.name, p) for t in source.tensors):
                raise WeightsError(f"no such tensor in the file ({option} {p})", path, p)
    steps: dict[str, Step] = {}

    def fail(t, reason):
        if strict:
            raise WeightsError(reason, path, t.name)
        steps[t.name] = Step(t, "error", reason)

    for t in source.tensors:
        if t.owner is not None:
            continue
        if patterns:
            pick = _matches(t.name, patterns)
            why = "named by --tensors" if pick else "not named by --tensors"
        else:
            pick, why = _default_pick(t, source)
        if pick and exclude and _matches(t.name, exclude):
            pick, why = False, "excluded by --exclude"
        if pick and lossless and t.kind == "float":
            if patterns:
                fail(t, f"transcoding is lossless, but this {t.dtype} tensor would have to "
                     "be ternarized; use 'tritpack pack'")
                continue
            pick, why = False, f"{t.dtype} (transcoding is lossless: floats are carried)"
        if pick and t.kind == "int" and (bad := t.not_trits()) is not None:
            if patterns:
                fail(t, f"{bad}; only -1/0/1 integer tensors can be packed")
                continue
            pick, why = False, f"integer values, not trits ({bad})"
        if pick:
            if t.kind == "unsupported":
                fail(t, t.reason)
            elif t.kind == "raw":
                fail(t, f"cannot make a {t.dtype} tensor ternary")
            else:
                steps[t.name] = Step(t, "pack", "absmean" if t.kind == "float" else "lossless")
        elif keep_other:
            if t.kind == "unsupported":
                fail(t, t.reason + " (use --skip-other to leave it out)")
            else:
                steps[t.name] = Step(t, "raw", why)
        else:
            steps[t.name] = Step(t, "skip", f"{why}; --skip-other")
    for t in source.tensors:
        if t.owner is not None:  # a scale goes into its packed tensor, or as its tensor goes
            owner = steps[t.owner].action
            if owner == "pack":
                steps[t.name] = Step(t, "skip", f"scale of {t.owner}, stored inside it")
            else:
                steps[t.name] = Step(t, "skip" if owner == "skip" else "raw",
                                     f"goes with {t.owner}")
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
        trits = check_trits(data, what=f"{t.dtype} tensor").reshape(data.shape)
    except ValueError as exc:
        raise WeightsError(f"{exc}; only -1/0/1 integer tensors can be packed", None,
                           t.name) from None
    if t.load_scale is None:
        return TernaryTensor(trits, np.ones(1, np.float32), origin=t.origin)
    scale = np.asarray(t.load_scale()).reshape(-1)
    return TernaryTensor(trits, scale, t.layout, "multiply", t.origin)


def entry_for(step: Step, codec: str, block: int) -> Entry:
    t = step.tensor
    if step.action == "pack":
        origin = {**t.origin, "format": "trits"} if t.kind == "int" else t.origin
        return Entry.ternary(t.name, t.shape, codec, block, t.scale_dtype, t.layout, t.mode,
                             origin)
    return Entry.raw(t.name, t.raw_dtype, t.raw_shape, t.origin)


def pack_file(src, dst, codec: str = "standard", block: int = 320, patterns=None,
              keep_other: bool = True, lossless: bool = False,
              progress: bool | None = None, exclude=None) -> PackResult:
    """Pack ``src`` (npy, safetensors or GGUF) into the container ``dst``.

    Which tensors: :func:`plan` (``patterns``, ``exclude``, ``keep_other``,
    ``lossless``).  Streams one tensor at a time; ``dst`` appears only if
    everything succeeds.  ``progress=None`` shows a bar only on a terminal.

    Raises
    ------
    WeightsError
        For any bad input, naming file and tensor; ``dst`` is then untouched.
    """
    source = open_source(src)
    steps = plan(source, patterns, keep_other, lossless, exclude)
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
    from tqdm import tqdm

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
    return PackResult(sizes, other, skipped, steps)
