# amaranth: UnusedElaboratable=no
"""Formal proofs of the decode engine: the quick subset of ``make formal``.

Each proof must PASS (bounded check and k-induction) and each mutant must FAIL
with a counterexample naming the check meant to catch it, so the proofs are
known to bite.  ``python -m tritpack.hw.formal`` runs every instance and mutant.
"""

from __future__ import annotations

import pytest

from tritpack import golden
from tritpack.hw.formal.properties import CHECKS, COVERS, MUTANTS, golden_rows, swapped_lut
from tritpack.hw.formal.runner import Job, _check_names, _parse, all_jobs, quick_jobs, run


def _id(job: Job) -> str:
    return job.name


@pytest.mark.parametrize("job", quick_jobs(), ids=_id)
def test_quick_job(job, tmp_path):
    result = run(job, tmp_path, timeout=600)
    assert result.ok, f"{job.name}: {result.status} {result.summary()} (log {result.log})"
    if job.mutant:
        # The counterexample fails the check the mutant was written against.
        target = MUTANTS[job.mutant][1] if job.prop != "lane" else "lane"
        assert any(name.startswith(f"{target}:") for name in result.failed), result.failed
    elif job.mode == "prove":
        assert result.basecase == job.depth and result.induction is not None
    elif job.mode == "cover":
        # Every cover reached, the data check's included: it is not vacuous.
        assert {name.split("@")[0] for name in result.reached} == set(COVERS), result.reached


def test_golden_rows_match_golden_decode():
    # Independent check of the harness table: each row's fields decode back to golden.
    for codec in golden.CODEC_NAMES:
        lut = golden.get_lut(codec)
        for code, row in enumerate(golden_rows(codec)):
            fields = [(row >> (2 * n)) & 0b11 for n in range(golden.TRITS_PER_BYTE)]
            trits = [{0b00: 0, 0b01: 1, 0b11: -1}[f] for f in fields]
            assert trits == lut.trits[code].tolist()
            assert bool(row >> 10) == bool(lut.valid[code])


def test_swapped_lut_differs_in_two_codes():
    lut, bad = golden.get_lut("tq1"), swapped_lut("tq1")
    differs = (lut.trits != bad.trits).any(axis=1)
    assert differs.sum() == 2 and lut.valid[differs].all()


def test_parse_names_failures_and_induction():
    il = ('cell $check $7\n  parameter \\FLAVOR "assert"\n'
          '  parameter \\FORMAT "reset: no valid"\n')
    log = "\n".join([
        "SBY 1 [job] engine_0.basecase: ##   0:00:00  Checking assertions in step 3..",
        "SBY 1 [job] engine_0.basecase: ##   0:00:00  BMC failed!",
        "SBY 1 [job] engine_0.basecase: ##   0:00:00  Assert failed in top: x.py:1 "
        "(_witness_.check_7)",
        "SBY 1 [job] DONE (FAIL, rc=2)",
    ])
    job = Job("reset", 2, "standard", False, "prove", 20, mutant="no_reset")
    out = _parse(job, log, _check_names(il))
    assert out["status"] == "FAIL" and out["fail_step"] == 3
    assert out["failed"] == ["reset: no valid"]


def test_job_rejects_bad_names():
    with pytest.raises(ValueError, match="prop must be one of"):
        Job("liveness", 2, "standard", False)
    with pytest.raises(ValueError, match="mutant must be one of"):
        Job("reset", 2, "standard", False, mutant="typo")
    with pytest.raises(ValueError, match="impl must be one of"):
        Job("lane", 2, "standard", False, impl="lut6")
    with pytest.raises(ValueError, match="impl 'bram' is proved in the pipelined engine only, "
                       "not in a lane job"):
        Job("lane", 2, "standard", False, impl="bram")
    with pytest.raises(ValueError, match="impl 'bram' is proved in the pipelined engine only"):
        Job("data", 2, "standard", False, impl="bram")


def test_parse_reads_every_cover_from_the_engine_lines():
    # sby's summary names only the first five cover traces; the engine lines name all.
    il = "".join(f'cell $check ${n}\n  parameter \\FORMAT "cover: c{n}"\n' for n in range(7))
    log = "\n".join(
        [f"SBY 1 [job] engine_0: ##   0:00:00  Reached cover statement in step {n} at top: "
         f"p.py:1 (_witness_.check_{n})" for n in range(7)]
        + ["SBY 1 [job] summary: and 2 further traces", "SBY 1 [job] DONE (PASS, rc=0)"])
    job = Job("cover", 2, "standard", False, "cover", 36)
    out = _parse(job, log, _check_names(il))
    assert out["reached"] == [f"c{n}@{n}" for n in range(7)]


def test_every_check_runs_on_every_instance_and_latency():
    jobs = [j for j in all_jobs() if j.mutant is None and j.prop in CHECKS and j.impl == "rom"]
    for pipelined in (False, True):
        for lanes in (1, 2):
            for codec in golden.CODEC_NAMES:
                for registered in (False, True):
                    proved = {j.prop for j in jobs if (j.lanes, j.codec, j.registered,
                                                       j.pipelined) == (lanes, codec, registered,
                                                                        pipelined)}
                    assert proved == set(CHECKS)
    assert all(j.mode == "prove" and j.depth >= 20 for j in jobs)
    # Each mutant is run on both latencies and both register variants.
    for mutant in MUTANTS:
        runs = {(j.registered, j.pipelined) for j in all_jobs() if j.mutant == mutant}
        assert runs == {(r, p) for r in (False, True) for p in (False, True)}


@pytest.mark.parametrize("pipelined", [False, True])
@pytest.mark.parametrize("lanes", [2, 64])
def test_lemma_registers_are_the_engine_state(lanes, pipelined):
    """The lemmas read the engine's registers through its attributes: each is
    the register it names (a signal the engine does not drive would be free in a
    proof, and the lemmas would constrain nothing)."""
    from amaranth.sim import Simulator

    from tritpack.hw.decoder import TernaryDecoder
    from tritpack.hw.formal.properties import engine_registers

    engine = TernaryDecoder(lanes, registered=True, pipelined=pipelined)
    regs = engine_registers(engine)
    expected = {"line", "busy", "skid", "skid_full"} | ({"beat"} if lanes < 64 else set())
    expected |= ({"bad", "bad_groups", "hold"} | ({"final"} if lanes < 64 else set())
                 if pipelined else set())
    # One copy of `hold` and of `o.valid` per 16 lanes (at least one), pipelined.
    copies = max(1, lanes // 16) if pipelined else 0
    expected |= {f"{name}_{k}" for name in ("hold", "valid") for k in range(copies)}
    assert set(regs) == expected
    bad = int(golden.get_lut("standard").invalid_codes[0])
    first = bytes([1, 2, bad]) + bytes(61)           # byte 2 (lane 0 of beat 1) invalid
    second = bytes([bad]) + bytes(range(1, 64))      # byte 0 invalid
    seen = {}

    async def bench(ctx):
        ctx.set(engine.o.ready, 0)                   # stalled: the state stays put
        for data, last in ((first, 1), (second, 0)):
            ctx.set(engine.i.payload.data, int.from_bytes(data, "little"))
            ctx.set(engine.i.payload.last, last)
            ctx.set(engine.i.valid, 1)
            await ctx.tick()
        ctx.set(engine.i.valid, 0)
        await ctx.tick().repeat(2)
        seen.update({name: ctx.get(reg) for name, reg in regs.items()})

    sim = Simulator(engine)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert seen["busy"] == 1
    if not pipelined:                                # `line` holds the first line, whole
        assert (seen["line"].data, seen["line"].last) == (int.from_bytes(first, "little"), 1)
        assert seen.get("beat", 0) == 0
    elif lanes < 64:                                 # the output stage took beat 0
        assert seen["line"].data == int.from_bytes(first[2:], "little")
        assert seen["beat"] == 1 and seen["final"] == 0
        assert seen["bad"] == 0b01                   # flags of beat 1: byte 2 invalid
        assert seen["bad_groups"] == 1 and seen["hold"] == 1
    else:                                            # the output stage took the first line
        assert seen["line"].data == int.from_bytes(second, "little")
        assert seen["bad"] == 1                      # flags of the second line: byte 0
        assert seen["bad_groups"] == 1 and seen["hold"] == 1
    for name in regs:                                # the copies: hold and o.valid
        if name.startswith(("hold_", "valid_")):
            assert seen[name] == 1, name
    if not (pipelined and lanes == 64):              # the second line waits in the skid
        assert seen["skid_full"] == 1
        assert (seen["skid"].data, seen["skid"].last) == (int.from_bytes(second, "little"), 0)
    else:
        assert seen["skid_full"] == 0


def test_quick_subset_has_a_mutant_for_every_check():
    caught = {job.prop for job in quick_jobs() if job.mutant}
    assert caught == {*CHECKS, "lane"}


def test_split_lemma_register_is_pre():
    """With the split decoder, ``pre`` joins the lemma registers and holds the
    front stage of the current beat (the lemma's claim, checked here by simulation)."""
    from amaranth.sim import Simulator

    from tritpack.hw.decoder import TernaryDecoder
    from tritpack.hw.formal.properties import engine_registers
    from tritpack.hw.lanes.arith import ArithFront

    engine = TernaryDecoder(2, "tq1", impl="arith", pipelined=True, split=True)
    regs = engine_registers(engine)
    assert "pre" in regs and regs["pre"] is engine.pre
    front = ArithFront(2, "tq1")
    data = bytes(range(7, 71))
    seen = {}

    async def bench(ctx):
        ctx.set(engine.o.ready, 0)
        ctx.set(engine.i.payload.data, int.from_bytes(data, "little"))
        ctx.set(engine.i.valid, 1)
        await ctx.tick()
        ctx.set(engine.i.valid, 0)
        await ctx.tick().repeat(2)
        seen["pre"] = ctx.get(engine.pre)

    async def front_bench(ctx):
        ctx.set(front.codes, int.from_bytes(data[2:4], "little"))  # beat 1: beat 0 went out
        seen["front"] = ctx.get(front.state)

    for dut, tb in ((engine, bench), (front, front_bench)):
        sim = Simulator(dut)
        if dut is engine:
            sim.add_clock(1e-8)
        sim.add_testbench(tb)
        sim.run()
    assert seen["pre"] == seen["front"] != 0
