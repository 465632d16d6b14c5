// tritpack: the self-checking bench of a vectors directory (docs/VECTORS.md).
//
// Plain Verilog-2005, shipped with tritpack and copied verbatim into every vectors
// directory; what varies (lanes, counts, seed, defaults) comes in as parameters
// from the generated top, tb_ternary_decoder.v, which also instantiates the engine
// and wires it to this bench's ports.
//
// It reads the hex files with $readmemh, drives s_axis with seeded idle cycles
// and m_axis_tready with seeded stalls (xorshift32: the same pattern in every
// simulator, unlike $random), checks every output transfer, the stream rules and
// the sticky error output, and prints one header line and one verdict line:
// `PASS <n> transfers` or `FAIL <first problem>`.  A failure ends with
// $fatal(1, ...) for a nonzero exit status (define TB_NO_FATAL to end with $finish).
//
// Plusargs: +vectors=DIR (where the hex files are, default .), +seed=N, +idle=PCT,
// +stall=PCT (0..99), +timeout=CYCLES, +waves[=FILE] (dump every signal to FILE,
// default tb_ternary_decoder.vcd; VCD, or FST where the simulator writes FST:
// Icarus `vvp tb -fst +waves=tb.fst`, Verilator built with --trace-fst).
// No `timescale: neither this file nor the engine has one, so no simulator
// complains about a missing one in only one of them; delays are in the default unit.

// One FAIL line (only the first failure), then stop.  ARGS is a parenthesised
// $display argument list: `TB_FAIL(("FAIL ...", a, b))
`define TB_FAIL(ARGS) begin if (!failed) begin failed = 1'b1; $display ARGS; finish_fail; end end

module tb_ternary_decoder_bench #(
  parameter LANES = 64,
  parameter LINES = 1,
  parameter TRANSFERS = 1,
  parameter SEED = 1,           // default of +seed: the manifest's seed
  parameter IDLE_PERCENT = 25,  // default of +idle: chance of an idle input cycle
  parameter STALL_PERCENT = 25, // default of +stall: chance of m_axis_tready low
  parameter NAME = "tb_ternary_decoder"
) (
  output reg clk,
  output reg rst,
  output reg [511:0] s_axis_tdata,
  output reg s_axis_tvalid,
  output reg s_axis_tlast,
  input s_axis_tready,
  input [10*LANES-1:0] m_axis_tdata,
  input m_axis_tvalid,
  output reg m_axis_tready,
  input m_axis_tlast,
  input m_axis_tuser,
  input error
);
  localparam WIDTH = 10 * LANES;
  localparam DRAIN = 32;        // cycles to watch for extra transfers at the end

  // ---- vectors: input.hex, input_flags.hex {invalid, tlast},
  //      expected.hex, expected_flags.hex {tlast, tuser}
  reg [511:0] in_data [0:LINES-1];
  reg [3:0] in_flags [0:LINES-1];
  reg [WIDTH-1:0] exp_data [0:TRANSFERS-1];
  reg [3:0] exp_flags [0:TRANSFERS-1];

  reg [8*512-1:0] dir;     // at most 512 characters (Verilator: <= 8192 bits)
  reg [8*600-1:0] path;
  reg [8*512-1:0] wavefile;
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
      $fatal(1, "%0s: FAIL", NAME);
`endif
    end
  endtask

  task vector_path;
    input [8*64-1:0] name;
    begin
      $sformat(path, "%0s/%0s", dir, name);
      fd = $fopen(path, "r");
      if (fd == 0)
        `TB_FAIL(("FAIL cannot open %0s: run in the vectors directory or pass +vectors=DIR",
                  path))
      $fclose(fd);
    end
  endtask

  initial begin
    failed = 1'b0;
    started = 1'b0;
    clk = 1'b0;
    rst = 1'b1;
    s_axis_tvalid = 1'b0;
    s_axis_tdata = {512{1'bx}};
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
    if (idle < 0 || idle > 99 || stall < 0 || stall > 99)
      `TB_FAIL(("FAIL +idle and +stall must be 0..99, got %0d and %0d", idle, stall))
    busiest = idle;
    if (stall > idle) busiest = stall;
    if (!$value$plusargs("timeout=%d", timeout))
      timeout = 64'd1000 + 64'd400 * (LINES + TRANSFERS) / (64'd100 - {32'd0, busiest});
    // Two streams from one seed, never the all-zero state of xorshift.
    rnd_in = seed ^ 32'h9e3779b9;
    if (rnd_in == 0) rnd_in = 32'h1;
    rnd_out = xorshift32(seed ^ 32'h7f4a7c15);
    if (rnd_out == 0) rnd_out = 32'h2;

    // ---- waves: +waves or +waves=FILE
    if ($value$plusargs("waves=%s", wavefile) || $test$plusargs("waves")) begin
      if (!$value$plusargs("waves=%s", wavefile)) wavefile = "tb_ternary_decoder.vcd";
      $dumpfile(wavefile);
      $dumpvars;
    end

    vector_path("input.hex");
    $readmemh(path, in_data);
    rows = LINES;
    if (^in_data[LINES-1] === 1'bx || ^in_data[0] === 1'bx)
      `TB_FAIL(("FAIL %0s has fewer rows than %0d (or a bad digit)", path, rows))
    vector_path("input_flags.hex");
    $readmemh(path, in_flags);
    if (^in_flags[LINES-1] === 1'bx)
      `TB_FAIL(("FAIL %0s has fewer rows than %0d (or a bad digit)", path, rows))
    vector_path("expected.hex");
    $readmemh(path, exp_data);
    rows = TRANSFERS;
    if (^exp_data[TRANSFERS-1] === 1'bx || ^exp_data[0] === 1'bx)
      `TB_FAIL(("FAIL %0s has fewer rows than %0d (or a bad digit)", path, rows))
    vector_path("expected_flags.hex");
    $readmemh(path, exp_flags);
    if (^exp_flags[TRANSFERS-1] === 1'bx)
      `TB_FAIL(("FAIL %0s has fewer rows than %0d (or a bad digit)", path, rows))
    any_invalid = 1'b0;
    for (i = 0; i < LINES; i = i + 1)
      if (in_flags[i][1]) any_invalid = 1'b1;

    $display("%0s: LANES=%0d LINES=%0d TRANSFERS=%0d", NAME, LANES, LINES, TRANSFERS,
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
      if (s_axis_tvalid && s_axis_tready !== 1'b0 && s_axis_tready !== 1'b1)
        `TB_FAIL(("FAIL line %0d: s_axis_tready is %b (expected 0 or 1) at cycle %0d",
                  in_count, s_axis_tready, cycle))
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
          s_axis_tdata <= {512{1'bx}};
          s_axis_tlast <= 1'bx;
        end
      end
    end
  end

  // ---- m_axis: random stalls; compare every transfer; watch error and the end.
  always @(posedge clk) begin
    if (started && !rst && !failed) begin
      cycle <= cycle + 1;
      if (m_axis_tvalid !== 1'b0 && m_axis_tvalid !== 1'b1)
        `TB_FAIL(("FAIL transfer %0d: m_axis_tvalid is %b (expected 0 or 1) at cycle %0d",
                  out_count, m_axis_tvalid, cycle))
      if (stalled && (m_axis_tvalid !== 1'b1 || m_axis_tdata !== held_data
                      || {m_axis_tlast, m_axis_tuser} !== held_flags))
        `TB_FAIL(("FAIL transfer %0d: m_axis_tvalid/tdata/tlast/tuser changed", out_count,
                  " while m_axis_tready was low (cycle %0d)", cycle))
      if (error !== 1'b0 && !invalid_offered)
        `TB_FAIL(("FAIL error is %b at cycle %0d before any invalid code was offered",
                  error, cycle, " (%0d transfers received)", out_count))
      if (first_invalid_out >= 0 && error !== 1'b1)
        `TB_FAIL(("FAIL error is %b at cycle %0d after transfer %0d carried tuser",
                  error, cycle, first_invalid_out, " (expected 1, sticky)"))
      if (m_axis_tvalid && m_axis_tready) begin
        if (out_count >= TRANSFERS)
          `TB_FAIL(("FAIL transfer %0d: more transfers than the %0d expected", out_count,
                    TRANSFERS, " (got %h tlast %b tuser %b)", m_axis_tdata, m_axis_tlast,
                    m_axis_tuser))
        else begin
          exp_word = exp_data[out_count];
          if (m_axis_tdata !== exp_word) begin
            lane = LANES - 1;
            for (i = LANES - 1; i >= 0; i = i - 1)
              if (m_axis_tdata[10*i +: 10] !== exp_word[10*i +: 10]) lane = i;
            exp_lane = exp_word[10*lane +: 10];
            got_lane = m_axis_tdata[10*lane +: 10];
            `TB_FAIL(("FAIL transfer %0d lane %0d: expected %h (trits %0s) got %h (trits %0s)",
                      out_count, lane, exp_lane, trit_str(exp_lane), got_lane,
                      trit_str(got_lane)))
          end
          if (m_axis_tlast !== exp_flags[out_count][1])
            `TB_FAIL(("FAIL transfer %0d: tlast expected %0d got %b", out_count,
                      exp_flags[out_count][1], m_axis_tlast))
          if (m_axis_tuser !== exp_flags[out_count][0])
            `TB_FAIL(("FAIL transfer %0d: tuser expected %0d got %b", out_count,
                      exp_flags[out_count][0], m_axis_tuser))
          if (exp_flags[out_count][0] && first_invalid_out < 0) first_invalid_out = out_count;
        end
        out_count = out_count + 1;
      end
      stalled <= m_axis_tvalid && !m_axis_tready;
      held_data <= m_axis_tdata;
      held_flags <= {m_axis_tlast, m_axis_tuser};
      rnd_out = xorshift32(rnd_out);
      m_axis_tready <= out_count >= TRANSFERS || (rnd_out % 100) >= stall;
      if (out_count >= TRANSFERS) begin
        drain = drain + 1;
        if (drain > DRAIN) begin
          if (in_count != LINES)
            `TB_FAIL(("FAIL only %0d of %0d lines were accepted", in_count, LINES))
          else if (error !== any_invalid)
            `TB_FAIL(("FAIL error is %b at the end, expected %0d", error, any_invalid))
          else begin
            $display("PASS %0d transfers", TRANSFERS);
            $finish;
          end
        end
      end
      if (cycle > timeout)
        `TB_FAIL(("FAIL timeout after %0d cycles: %0d of %0d transfers received,", cycle,
                  out_count, TRANSFERS, " %0d of %0d lines accepted", in_count, LINES))
    end
  end
endmodule

`undef TB_FAIL
