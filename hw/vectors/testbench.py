"""A plain Verilog-2005 self-checking testbench for the decode engine.

:func:`generate_testbench` returns ``tb_ternary_decoder.v``, which needs no
Python and no SystemVerilog: it reads the hex files of a vectors directory
(:mod:`golden.vectors`) with ``$readmemh``, drives the engine with
pseudo-random idle cycles on ``s_axis`` and stalls on ``m_axis`` (a xorshift32
generator, so the pattern is the same in every simulator), checks every output
transfer and the ``error`` output, and prints one verdict line:
``PASS <n> transfers``, or ``FAIL`` with the first mismatch, followed by
``$fatal(1, ...)`` so that the simulator exits with a nonzero status
(define ``TB_NO_FATAL`` to end with ``$finish`` instead).

Run-time options (plusargs): ``+vectors=DIR`` (where the hex files are; default
the working directory), ``+seed=N`` (default: the manifest's seed, baked in as
the ``SEED`` parameter), ``+idle=PCT`` and ``+stall=PCT`` (0..99, default 25),
``+timeout=CYCLES``.
"""

from __future__ import annotations

from tritpack.golden.vectors import LANES, MAX_SEED

from ..verilog import MODULE_NAME_RE

__all__ = ["generate_testbench", "TB_NAME", "IDLE_PERCENT", "STALL_PERCENT"]

TB_NAME = "tb_ternary_decoder"
DRAIN_CYCLES = 32
IDLE_PERCENT = 25
STALL_PERCENT = 25


def _fail(fmt: str, *args: str) -> str:
    """Verilog that prints the one FAIL line (only the first failure) and stops."""
    arglist = "".join(f", {a}" for a in args)
    return (f'begin if (!failed) begin failed = 1\'b1; $display("FAIL {fmt}"{arglist}); '
            "finish_fail; end end")


def generate_testbench(lanes: int, lines: int, transfers: int, seed: int,
                       module_name: str = "ternary_decoder", tb_name: str = TB_NAME,
                       idle_percent: int = IDLE_PERCENT, stall_percent: int = STALL_PERCENT,
                       header: str = "") -> str:
    """Verilog-2005 text of the self-checking testbench.

    Parameters
    ----------
    lanes : int
        Byte lanes of the engine (one of 1, 2, 4, 8, 16, 32, 64).
    lines, transfers : int
        Rows of ``input.hex`` and of ``expected.hex``.
    seed : int
        Default seed of the idle/stall generator, 0..2**32-1.
    module_name, tb_name : str
        The engine module to instantiate and the testbench's own name.
    idle_percent, stall_percent : int
        Default chance (0..99) of an idle cycle on ``s_axis`` and of ``m_axis_tready``
        low in a cycle.
    header : str
        Comment lines to put on top (e.g. the generating command).

    Raises
    ------
    ValueError
        For a parameter out of range.
    """
    if lanes not in LANES:
        raise ValueError(f"lanes must be one of {', '.join(map(str, LANES))}, not {lanes!r}")
    if lines < 1 or transfers != lines * (64 // lanes):
        raise ValueError(f"{transfers} transfers do not fit {lines} lines of {lanes} lanes")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be in 0..{MAX_SEED}, not {seed!r}")
    for what, pct in (("idle", idle_percent), ("stall", stall_percent)):
        if not 0 <= pct <= 99:
            raise ValueError(f"{what} percentage must be in 0..99, not {pct!r}")
    for name in (module_name, tb_name):
        if not MODULE_NAME_RE.match(name):
            raise ValueError(f"{name!r} is not a plain Verilog identifier")
    comments = "".join(f"// {line}\n".replace("// \n", "//\n") for line in header.splitlines())
    return _TEMPLATE.format(
        comments=comments, tb=tb_name, dut=module_name, lanes=lanes, lines=lines,
        transfers=transfers, seed=seed, idle=idle_percent, stall=stall_percent,
        drain=DRAIN_CYCLES,
        fail_open=_fail("cannot open %0s: run in the vectors directory or pass +vectors=DIR",
                        "path"),
        fail_short=_fail("%0s has fewer rows than %0d (or a bad digit)", "path", "rows"),
        fail_pct=_fail("+idle and +stall must be 0..99, got %0d and %0d", "idle", "stall"),
        fail_x_tvalid=_fail("transfer %0d: m_axis_tvalid is %b (expected 0 or 1) at cycle %0d",
                            "out_count", "m_axis_tvalid", "cycle"),
        fail_x_tready=_fail("line %0d: s_axis_tready is %b (expected 0 or 1) at cycle %0d",
                            "in_count", "s_axis_tready", "cycle"),
        fail_unstable=_fail("transfer %0d: m_axis_tvalid/tdata/tlast/tuser changed while "
                            "m_axis_tready was low (cycle %0d)", "out_count", "cycle"),
        fail_extra=_fail("transfer %0d: more transfers than the %0d expected "
                         "(got %h tlast %b tuser %b)", "out_count", "TRANSFERS",
                         "m_axis_tdata", "m_axis_tlast", "m_axis_tuser"),
        fail_data=_fail("transfer %0d lane %0d: expected %h (trits %0s) got %h (trits %0s)",
                        "out_count", "lane", "exp_lane", "trit_str(exp_lane)", "got_lane",
                        "trit_str(got_lane)"),
        fail_tlast=_fail("transfer %0d: tlast expected %0d got %b", "out_count",
                         "exp_flags[out_count][1]", "m_axis_tlast"),
        fail_tuser=_fail("transfer %0d: tuser expected %0d got %b", "out_count",
                         "exp_flags[out_count][0]", "m_axis_tuser"),
        fail_error_early=_fail("error is %b at cycle %0d before any invalid code was offered "
                               "(%0d transfers received)", "error", "cycle", "out_count"),
        fail_error_late=_fail("error is %b at cycle %0d after transfer %0d carried tuser "
                              "(expected 1, sticky)", "error", "cycle", "first_invalid_out"),
        fail_error_end=_fail("error is %b at the end, expected %0d", "error", "any_invalid"),
        fail_lines=_fail("only %0d of %0d lines were accepted", "in_count", "LINES"),
        fail_timeout=_fail("timeout after %0d cycles: %0d of %0d transfers received, "
                           "%0d of %0d lines accepted", "cycle", "out_count", "TRANSFERS",
                           "in_count", "LINES"),
    )


_TEMPLATE = """\
{comments}// Plain Verilog-2005; needs only the engine module `{dut}` (see docs/VECTORS.md).
//   iverilog -g2005 -o tb DIR/*.v && vvp tb [+vectors=DIR] [+seed=N] [+idle=PCT]
//       [+stall=PCT] [+timeout=CYCLES]
// Prints one verdict line, `PASS <n> transfers` or `FAIL <first mismatch>`; a failure
// ends with $fatal(1, ...) for a nonzero exit status (define TB_NO_FATAL for $finish).
// No `timescale: neither this file nor the engine has one, so no simulator complains
// about a missing one in only one of them; delays are in the default unit.

module {tb};
  parameter LANES = {lanes};
  parameter LINES = {lines};
  parameter TRANSFERS = {transfers};
  parameter SEED = {seed};          // default of +seed: the manifest's seed
  parameter IDLE_PERCENT = {idle};   // default of +idle: chance of an idle input cycle
  parameter STALL_PERCENT = {stall};  // default of +stall: chance of m_axis_tready low
  localparam WIDTH = 10 * LANES;
  localparam DRAIN = {drain};        // cycles to watch for extra transfers at the end

  // ---- vectors: input.hex, input_flags.hex {{invalid, tlast}},
  //      expected.hex, expected_flags.hex {{tlast, tuser}}
  reg [511:0] in_data [0:LINES-1];
  reg [3:0] in_flags [0:LINES-1];
  reg [WIDTH-1:0] exp_data [0:TRANSFERS-1];
  reg [3:0] exp_flags [0:TRANSFERS-1];

  reg clk;
  reg rst;
  reg [511:0] s_axis_tdata;
  reg s_axis_tvalid;
  reg s_axis_tlast;
  wire s_axis_tready;
  wire [WIDTH-1:0] m_axis_tdata;
  wire m_axis_tvalid;
  reg m_axis_tready;
  wire m_axis_tlast;
  wire m_axis_tuser;
  wire error;

  {dut} dut (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast),
    .m_axis_tuser(m_axis_tuser), .error(error)
  );

  reg [8*512-1:0] dir;     // at most 512 characters (Verilator: <= 8192 bits)
  reg [8*600-1:0] path;
  reg [31:0] seed;
  reg [31:0] rnd_in;
  reg [31:0] rnd_out;
  reg [63:0] cycle;
  reg [63:0] timeout;
  reg [2:0] reset_cycles;
  integer busiest;            // the larger of idle and stall, in percent
  integer idle, stall, fd, rows, i;
  integer in_count;           // lines accepted by the engine
  integer out_count;          // transfers received from the engine
  integer first_invalid_out;  // first transfer with tuser, -1 before it
  integer drain;
  integer lane;
  reg failed, started, any_invalid, invalid_offered, stalled;
  reg [WIDTH-1:0] held_data;
  reg [1:0] held_flags;
  reg [WIDTH-1:0] exp_word;
  reg [9:0] exp_lane, got_lane;

  // xorshift32: the same idle/stall pattern in every simulator ($random is not).
  function [31:0] xorshift32;
    input [31:0] x;
    reg [31:0] y;
    begin
      y = x ^ (x << 13);
      y = y ^ (y >> 17);
      xorshift32 = y ^ (y << 5);
    end
  endfunction

  // The five trits of a lane, trit 0 first: + for 01, 0 for 00, - for 11.
  function [39:0] trit_str;
    input [9:0] v;
    integer k;
    begin
      for (k = 0; k < 5; k = k + 1)
        case (v[2*k +: 2])
          2'b01: trit_str[8*(4-k) +: 8] = "+";
          2'b00: trit_str[8*(4-k) +: 8] = "0";
          2'b11: trit_str[8*(4-k) +: 8] = "-";
          default: trit_str[8*(4-k) +: 8] = "?";
        endcase
    end
  endfunction

  task finish_fail;
    begin
`ifdef TB_NO_FATAL
      $finish;
`else
      $fatal(1, "{tb}: FAIL");
`endif
    end
  endtask

  task vector_path;
    input [8*64-1:0] name;
    begin
      $sformat(path, "%0s/%0s", dir, name);
      fd = $fopen(path, "r");
      if (fd == 0) {fail_open}
      $fclose(fd);
    end
  endtask

  initial begin
    failed = 1'b0;
    started = 1'b0;
    clk = 1'b0;
    rst = 1'b1;
    s_axis_tvalid = 1'b0;
    s_axis_tdata = {{512{{1'bx}}}};
    s_axis_tlast = 1'bx;
    m_axis_tready = 1'b0;
    cycle = 0;
    reset_cycles = 0;
    in_count = 0;
    out_count = 0;
    first_invalid_out = -1;
    drain = 0;
    invalid_offered = 1'b0;
    stalled = 1'b0;
    if (!$value$plusargs("vectors=%s", dir)) dir = ".";
    if (!$value$plusargs("seed=%d", seed)) seed = SEED;
    if (!$value$plusargs("idle=%d", idle)) idle = IDLE_PERCENT;
    if (!$value$plusargs("stall=%d", stall)) stall = STALL_PERCENT;
    if (idle < 0 || idle > 99 || stall < 0 || stall > 99) {fail_pct}
    busiest = idle;
    if (stall > idle) busiest = stall;
    if (!$value$plusargs("timeout=%d", timeout))
      timeout = 64'd1000 + 64'd400 * (LINES + TRANSFERS) / (64'd100 - {{32'd0, busiest}});
    // Two streams from one seed, never the all-zero state of xorshift.
    rnd_in = seed ^ 32'h9e3779b9;
    if (rnd_in == 0) rnd_in = 32'h1;
    rnd_out = xorshift32(seed ^ 32'h7f4a7c15);
    if (rnd_out == 0) rnd_out = 32'h2;

    vector_path("input.hex");
    $readmemh(path, in_data);
    rows = LINES;
    if (^in_data[LINES-1] === 1'bx || ^in_data[0] === 1'bx) {fail_short}
    vector_path("input_flags.hex");
    $readmemh(path, in_flags);
    if (^in_flags[LINES-1] === 1'bx) {fail_short}
    vector_path("expected.hex");
    $readmemh(path, exp_data);
    rows = TRANSFERS;
    if (^exp_data[TRANSFERS-1] === 1'bx || ^exp_data[0] === 1'bx) {fail_short}
    vector_path("expected_flags.hex");
    $readmemh(path, exp_flags);
    if (^exp_flags[TRANSFERS-1] === 1'bx) {fail_short}
    any_invalid = 1'b0;
    for (i = 0; i < LINES; i = i + 1)
      if (in_flags[i][1]) any_invalid = 1'b1;

    $display("{tb}: LANES=%0d LINES=%0d TRANSFERS=%0d", LANES, LINES, TRANSFERS,
             " seed=%0d idle=%0d%% stall=%0d%% timeout=%0d vectors=%0s",
             seed, idle, stall, timeout, dir);
    started = 1'b1;
  end

  always #5 clk = ~clk;

  // ---- reset for 4 clocks after the files are loaded
  always @(posedge clk) begin
    if (started && rst) begin
      reset_cycles <= reset_cycles + 1;
      if (reset_cycles == 3) rst <= 1'b0;
    end
  end

  // ---- s_axis: offer lines in order with random idle cycles; hold until accepted.
  always @(posedge clk) begin
    if (started && !rst) begin
      if (s_axis_tvalid && s_axis_tready !== 1'b0 && s_axis_tready !== 1'b1) {fail_x_tready}
      if (s_axis_tvalid && s_axis_tready) in_count = in_count + 1;
      if (!s_axis_tvalid || s_axis_tready) begin
        rnd_in = xorshift32(rnd_in);
        if (in_count < LINES && (rnd_in % 100) >= idle) begin
          s_axis_tvalid <= 1'b1;
          s_axis_tdata <= in_data[in_count];
          s_axis_tlast <= in_flags[in_count][0];
          if (in_flags[in_count][1]) invalid_offered <= 1'b1;
        end else begin
          s_axis_tvalid <= 1'b0;
          s_axis_tdata <= {{512{{1'bx}}}};
          s_axis_tlast <= 1'bx;
        end
      end
    end
  end

  // ---- m_axis: random stalls; compare every transfer; watch error and the end.
  always @(posedge clk) begin
    if (started && !rst && !failed) begin
      cycle <= cycle + 1;
      if (m_axis_tvalid !== 1'b0 && m_axis_tvalid !== 1'b1) {fail_x_tvalid}
      if (stalled && (m_axis_tvalid !== 1'b1 || m_axis_tdata !== held_data
                      || {{m_axis_tlast, m_axis_tuser}} !== held_flags)) {fail_unstable}
      if (error !== 1'b0 && !invalid_offered) {fail_error_early}
      if (first_invalid_out >= 0 && error !== 1'b1) {fail_error_late}
      if (m_axis_tvalid && m_axis_tready) begin
        if (out_count >= TRANSFERS) {fail_extra}
        else begin
          exp_word = exp_data[out_count];
          if (m_axis_tdata !== exp_word) begin
            lane = LANES - 1;
            for (i = LANES - 1; i >= 0; i = i - 1)
              if (m_axis_tdata[10*i +: 10] !== exp_word[10*i +: 10]) lane = i;
            exp_lane = exp_word[10*lane +: 10];
            got_lane = m_axis_tdata[10*lane +: 10];
            {fail_data}
          end
          if (m_axis_tlast !== exp_flags[out_count][1]) {fail_tlast}
          if (m_axis_tuser !== exp_flags[out_count][0]) {fail_tuser}
          if (exp_flags[out_count][0] && first_invalid_out < 0) first_invalid_out = out_count;
        end
        out_count = out_count + 1;
      end
      stalled <= m_axis_tvalid && !m_axis_tready;
      held_data <= m_axis_tdata;
      held_flags <= {{m_axis_tlast, m_axis_tuser}};
      rnd_out = xorshift32(rnd_out);
      m_axis_tready <= out_count >= TRANSFERS || (rnd_out % 100) >= stall;
      if (out_count >= TRANSFERS) begin
        drain = drain + 1;
        if (drain > DRAIN) begin
          if (in_count != LINES) {fail_lines}
          else if (error !== any_invalid) {fail_error_end}
          else begin
            $display("PASS %0d transfers", TRANSFERS);
            $finish;
          end
        end
      end
      if (cycle > timeout) {fail_timeout}
    end
  end
endmodule
"""
