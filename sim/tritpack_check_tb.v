// tritpack: the self-checking testbench of the fast path (sim/hdlcheck.py builds and runs it).
//
// The regression's top tritpack_tb (the engine `ternary_decoder` and one
// tritpack_axis_checker on each port), driven and checked from Verilog so that a
// long run goes at the simulator's speed: no Python runs while the clock does.
//
// Stimulus and expectations come from the golden model on the host, streamed
// through +stream=FILE (a named pipe or a file) as records of 160 bytes, one per
// line, read with $fscanf "%u" (raw binary, first byte at bits [7:0]; Icarus reads
// it faster than $fread) as sim/hdlcheck.py writes them:
//   [511:0]     the line, byte k at [8k+7:8k]
//   [1151:512]  its 320 expected trits, trit k at [2k+1:2k] (a transfer of beat b
//               is bits [10*LANES*b +: 10*LANES] of them)
//   [1215:1152] bit k set: byte k is not a valid code (its trits are zero, its
//               transfer must carry tuser)
//   [1216]      tlast of the line; [1279:1217] zero
// The source idles and the sink stalls with the chances +idle=PCT and +stall=PCT
// (one xorshift32 step a clock from +seed=N, its low half for the source and its
// high half for the sink: the same pattern in every simulator).
//
// Checked: every output transfer's tdata, tlast and tuser against the record of
// its line (counted, not fatal: the first mismatches are reported); no transfer
// more or fewer than expected; the sticky `error` output (low until the clock
// after the first transfer with tuser, high from then on); the AXI4-Stream rules
// of both ports (the checkers' `violation`); progress (+timeout=CLOCKS without a
// transfer on either port is a hang).  Coverage is counted here too, in the bins
// of sim/coverage.py: codes x lanes, invalid codes x byte position x first/last
// line of a packet, runs of source idle and sink back-pressure, packet lengths.
//
// Everything goes to +result=FILE as lines `<key> <values>`, ending in `end`,
// which the host parses (a file without `end` means the simulation died).
// Other plusargs: +lines=N (records to read), +code_bins=N (codes x lanes bins;
// coverage sampling of codes stops once all are hit), +waves=FILE (a VCD/FST).
// No `timescale, as in the engine: delays are in the default unit.
module tritpack_check_tb #(
  parameter LANES = 64             // the engine's lanes: m_axis_tdata is 10 * LANES bits
);
  localparam W = 10 * LANES;       // bits of one output transfer
  localparam BEATS = 64 / LANES;   // output transfers per line
  localparam REC = 1280;           // bits of one record
  localparam RING = 8;             // lines in flight; the engine holds at most 3
                                   // (hw.decoder.engine_capacity), plus the one leaving
  localparam DRAIN = 16;           // clocks to watch for extra transfers at the end
  localparam NBINS = 7;            // stall run-length bins: 1 2 3-4 5-8 9-16 17-63 64+
  localparam PBINS = 4;            // packet-length bins: 1 2 3-15 16+

  reg clk = 1'b0;
  reg rst = 1'b1;
  reg [511:0] s_axis_tdata = 512'b0;
  reg s_axis_tvalid = 1'b0;
  reg s_axis_tlast = 1'b0;
  wire s_axis_tready;
  wire [W-1:0] m_axis_tdata;
  wire m_axis_tvalid, m_axis_tlast, m_axis_tuser, error;
  reg m_axis_tready = 1'b0;

  // The regression's top: the engine and one protocol checker on each port.
  tritpack_tb #(.LANES(LANES), .WATCH_X(0)) dut (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast),
    .m_axis_tuser(m_axis_tuser), .error(error)
  );

  // ---- the job (plusargs)
  reg [8*4096-1:0] stream_path, result_path, wave_path;
  reg [63:0] lines, timeout, code_bins;
  reg [31:0] seed, idle, stall;
  integer sfd, rfd;

  // ---- state
  reg [REC-1:0] rec;               // the next line, read ahead
  reg have_rec;
  reg [639:0] ring_exp [0:RING-1];
  reg [63:0] ring_bad [0:RING-1];
  reg ring_last [0:RING-1];
  reg [2:0] wr, rd;                // ring pointers
  integer beat;
  reg [63:0] cycle, read_count, in_count, out_count, lines_out, mismatches, flagged;
  reg [63:0] bad_bytes, quiet, drain;  // quiet: the last clock with a transfer
  reg [63:0] first_in, first_valid, first_out, last_out;
  reg [31:0] rnd;                  // xorshift32 state
  reg [16:0] idle_t, stall_t;      // chance * 65536
  reg running, done, failed, pause_in, pause_out, flag_seen, packet_first;
  reg [63:0] idle_run, stall_run, packet_len;
  reg [63:0] idle_runs [0:NBINS-1];
  reg [63:0] stall_runs [0:NBINS-1];
  reg [63:0] packets [0:PBINS-1];
  reg code_seen [0:LANES*256-1];   // [lane * 256 + code]; never written (X): not seen
  reg [255:0] bad_seen [0:127];    // [place * 64 + position], place 1 = the last line
  reg [63:0] code_hits;
  reg [7:0] code;
  reg [255:0] row;
  reg [W-1:0] exp_word;
  reg exp_user, exp_last;
  integer p, k, got, reset_clocks;

  // The bin of a stall run of n clocks: 1, 2, 3-4, 5-8, 9-16, 17-63, 64+.
  function integer stall_bin;
    input [63:0] n;
    begin
      if (n <= 2) stall_bin = n - 1;
      else if (n <= 4) stall_bin = 2;
      else if (n <= 8) stall_bin = 3;
      else if (n <= 16) stall_bin = 4;
      else if (n <= 63) stall_bin = 5;
      else stall_bin = 6;
    end
  endfunction

  function integer packet_bin;
    input [63:0] n;
    begin
      if (n <= 2) packet_bin = n - 1;
      else if (n <= 15) packet_bin = 2;
      else packet_bin = 3;
    end
  endfunction

  task fail;                       // the first fatal problem ends the run
    input [8*200-1:0] what;
    begin
      if (!failed) begin
        failed = 1'b1;
        $fwrite(rfd, "fail %0s (cycle %0d, %0d of %0d lines accepted, %0d transfers received)\n",
                what, cycle, in_count, lines, out_count);
      end
    end
  endtask

  task read_record;
    begin
      got = $fscanf(sfd, "%u", rec);
      if (got != 1) begin
        $fwrite(rfd, "fail the stimulus stream ended after %0d of %0d lines\n",
                read_count, lines);
        failed = 1'b1;
      end else begin
        read_count = read_count + 1;
        have_rec = 1'b1;
      end
    end
  endtask

  // Coverage of an accepted line: codes x lanes, invalid codes at the first and last
  // line of a packet, the packet's length.
  task sample_line;
    begin
      if (code_hits < code_bins)   // a loop per line until every bin is hit
        for (p = 0; p < 64; p = p + 1) begin
          code = rec[8*p +: 8];
          k = ((p & (LANES - 1)) << 8) | code;
          if (code_seen[k] !== 1'b1 && !rec[1152 + p]) begin
            code_seen[k] = 1'b1;
            code_hits = code_hits + 1;
          end
        end
      if (rec[1215:1152] != 64'b0)
        for (p = 0; p < 64; p = p + 1)
          if (rec[1152 + p]) begin
            bad_bytes = bad_bytes + 1;
            if (packet_first) bad_seen[p][rec[8*p +: 8]] = 1'b1;
            if (rec[1216]) bad_seen[64 + p][rec[8*p +: 8]] = 1'b1;
          end
      packet_len = packet_len + 1;
      packet_first = rec[1216];
      if (rec[1216]) begin
        packets[packet_bin(packet_len)] = packets[packet_bin(packet_len)] + 1;
        packet_len = 0;
      end
    end
  endtask

  task report;
    begin
      if (idle_run != 0) idle_runs[stall_bin(idle_run)] = idle_runs[stall_bin(idle_run)] + 1;
      if (stall_run != 0) stall_runs[stall_bin(stall_run)] = stall_runs[stall_bin(stall_run)] + 1;
      $fwrite(rfd, "lanes %0d\nlines %0d\naccepted %0d\ntransfers %0d\nlines_out %0d\n", LANES,
              lines, in_count, out_count, lines_out);
      $fwrite(rfd, "mismatches %0d\nflagged %0d\nbad_bytes %0d\nerror %0d\ncycles %0d\n",
              mismatches, flagged, bad_bytes, error === 1'b1, cycle);
      $fwrite(rfd, "first_in %0d\nfirst_valid %0d\nfirst_out %0d\nlast_out %0d\n", first_in,
              first_valid, first_out, last_out);
      $fwrite(rfd, "violation s_axis %0d %0d\nviolation m_axis %0d %0d\n",
              dut.s_axis_checker.violation, dut.s_axis_checker.violation_clock,
              dut.m_axis_checker.violation, dut.m_axis_checker.violation_clock);
      $fwrite(rfd, "idle_runs");
      for (k = 0; k < NBINS; k = k + 1) $fwrite(rfd, " %0d", idle_runs[k]);
      $fwrite(rfd, "\nstall_runs");
      for (k = 0; k < NBINS; k = k + 1) $fwrite(rfd, " %0d", stall_runs[k]);
      $fwrite(rfd, "\npackets");
      for (k = 0; k < PBINS; k = k + 1) $fwrite(rfd, " %0d", packets[k]);
      $fwrite(rfd, "\n");
      for (p = 0; p < LANES; p = p + 1) begin
        for (k = 0; k < 256; k = k + 1) row[k] = code_seen[p * 256 + k] === 1'b1;
        $fwrite(rfd, "codes %0d %h\n", p, row);
      end
      for (p = 0; p < 128; p = p + 1)
        if (bad_seen[p] != 256'b0) $fwrite(rfd, "invalid %0d %0d %h\n", p / 64, p % 64, bad_seen[p]);
      $fwrite(rfd, "end\n");
      $fclose(rfd);
    end
  endtask

  initial begin
    if (!$value$plusargs("stream=%s", stream_path)) stream_path = "stream.bin";
    if (!$value$plusargs("result=%s", result_path)) result_path = "result.txt";
    if (!$value$plusargs("lines=%d", lines)) lines = 0;
    if (!$value$plusargs("seed=%d", seed)) seed = 1;
    if (!$value$plusargs("idle=%d", idle)) idle = 10;
    if (!$value$plusargs("stall=%d", stall)) stall = 10;
    if (!$value$plusargs("timeout=%d", timeout)) timeout = 100000;
    if (!$value$plusargs("code_bins=%d", code_bins)) code_bins = 0;
    if ($value$plusargs("waves=%s", wave_path)) begin
      $dumpfile(wave_path);
      $dumpvars(0, tritpack_check_tb);
    end
    rfd = $fopen(result_path, "w");
    if (rfd == 0) begin
      $display("tritpack_check_tb: cannot write %0s", result_path);
      $finish;
    end
    sfd = $fopen(stream_path, "rb");
    failed = 1'b0;
    done = 1'b0;
    if (sfd == 0) fail("cannot open the stimulus stream");
    running = 1'b0;
    have_rec = 1'b0;
    wr = 0; rd = 0; beat = 0;
    cycle = 0; read_count = 0; in_count = 0; out_count = 0; lines_out = 0;
    mismatches = 0; flagged = 0; bad_bytes = 0; quiet = 0; drain = 0;
    first_in = 0; first_valid = 0; first_out = 0; last_out = 0;
    flag_seen = 1'b0; packet_first = 1'b1; pause_in = 1'b0; pause_out = 1'b0;
    idle_run = 0; stall_run = 0; packet_len = 0; code_hits = 0; reset_clocks = 0;
    for (k = 0; k < NBINS; k = k + 1) begin idle_runs[k] = 0; stall_runs[k] = 0; end
    for (k = 0; k < PBINS; k = k + 1) packets[k] = 0;
    for (k = 0; k < 128; k = k + 1) bad_seen[k] = 256'b0;
    // Never the all-zero state of xorshift.
    rnd = seed ^ 32'h9e3779b9;
    if (rnd == 0) rnd = 32'h1;
    idle_t = idle * 65536 / 100;
    stall_t = stall * 65536 / 100;
    $fwrite(rfd, "start lanes=%0d lines=%0d seed=%0d idle=%0d stall=%0d\n", LANES, lines,
            seed, idle, stall);
    if (idle > 99 || stall > 99) fail("+idle and +stall must be 0..99");
  end

  always #5 clk = ~clk;

  always @(posedge clk) begin
    if (failed || done) begin
      if (!done) begin
        done = 1'b1;
        report;
        $finish;
      end
    end else if (!running) begin
      // reset for 4 clocks; the checkers arm on it
      reset_clocks = reset_clocks + 1;
      if (reset_clocks == 4) begin
        rst <= 1'b0;
        running = 1'b1;
      end
    end else begin
      cycle = cycle + 1;
      // (every 1024 clocks: the checkers keep the first violation and its clock)
      if (cycle[9:0] == 0 && (dut.s_axis_checker.failed || dut.m_axis_checker.failed))
        fail("AXI4-Stream rule broken");
      // the sticky error: low until the clock after the first flagged transfer
      if (error !== flag_seen) begin
        if (flag_seen) fail("error fell (or is X) after a transfer carried tuser");
        else fail("error rose before any transfer carried tuser");
      end
      if (m_axis_tvalid === 1'b1 && first_valid == 0) first_valid = cycle;

      // ---- m_axis: check the transfer of this clock, then draw the next stall
      if (m_axis_tvalid === 1'b1 && m_axis_tready) begin
        quiet = cycle;
        if (first_out == 0) first_out = cycle;
        last_out = cycle;
        if (in_count == lines_out) fail("a transfer more than the lines accepted");
        else begin
          exp_word = ring_exp[rd][W*beat +: W];
          exp_user = |ring_bad[rd][LANES*beat +: LANES];
          exp_last = ring_last[rd] && beat == BEATS - 1;
          if (m_axis_tdata !== exp_word || m_axis_tuser !== exp_user
              || m_axis_tlast !== exp_last) begin
            mismatches = mismatches + 1;
            if (mismatches <= 20)
              $fwrite(rfd, "mismatch %0d %0d %0d %b %b %b %b %h %h\n", out_count, lines_out,
                      beat, m_axis_tuser, exp_user, m_axis_tlast, exp_last, m_axis_tdata,
                      exp_word);
          end
          if (m_axis_tuser === 1'b1) begin
            flagged = flagged + 1;
            flag_seen = 1'b1;
          end
          out_count = out_count + 1;
          if (beat == BEATS - 1) begin
            beat = 0;
            rd = rd + 1;
            lines_out = lines_out + 1;
          end else beat = beat + 1;
        end
      end
      // one step of xorshift32 a clock, inline: a function call costs Icarus more
      rnd = rnd ^ (rnd << 13);
      rnd = rnd ^ (rnd >> 17);
      rnd = rnd ^ (rnd << 5);
      pause_out = lines_out < lines && rnd[31:16] < stall_t;
      m_axis_tready <= !pause_out;
      if (pause_out) stall_run = stall_run + 1;
      else if (stall_run != 0) begin
        stall_runs[stall_bin(stall_run)] = stall_runs[stall_bin(stall_run)] + 1;
        stall_run = 0;
      end

      // ---- s_axis: the line accepted in this clock goes to the ring; offer the next
      if (s_axis_tvalid && s_axis_tready === 1'b1) begin
        quiet = cycle;
        if (first_in == 0) first_in = cycle;
        if (in_count - lines_out >= RING)
          fail("a line accepted while 8 were in flight (the engine holds at most 3)");
        ring_exp[wr] = rec[1151:512];
        ring_bad[wr] = rec[1215:1152];
        ring_last[wr] = rec[1216];
        wr = wr + 1;
        in_count = in_count + 1;
        sample_line;
        have_rec = 1'b0;
      end
      pause_in = read_count < lines && rnd[15:0] < idle_t;
      if (pause_in) idle_run = idle_run + 1;
      else if (idle_run != 0) begin
        idle_runs[stall_bin(idle_run)] = idle_runs[stall_bin(idle_run)] + 1;
        idle_run = 0;
      end
      if (!s_axis_tvalid || s_axis_tready === 1'b1) begin
        if (!have_rec && read_count < lines) read_record;
        if (have_rec && !pause_in) begin
          s_axis_tvalid <= 1'b1;
          s_axis_tdata <= rec[511:0];
          s_axis_tlast <= rec[1216];
        end else begin
          s_axis_tvalid <= 1'b0;
          s_axis_tdata <= {512{1'bx}};   // nothing may depend on it
          s_axis_tlast <= 1'bx;
        end
      end

      if (lines_out == lines && in_count == lines) begin
        drain = drain + 1;
        if (drain > DRAIN && (dut.s_axis_checker.failed || dut.m_axis_checker.failed))
          fail("AXI4-Stream rule broken");
        else if (drain > DRAIN) begin
          if (error !== (bad_bytes != 0)) fail("error at the end is not (any invalid code accepted)");
          done = 1'b1;
          report;
          $finish;
        end
      end else if (cycle - quiet > timeout) fail("timeout: no transfer on either port");
    end
  end
endmodule
