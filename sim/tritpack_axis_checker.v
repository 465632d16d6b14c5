// tritpack: AXI4-Stream protocol checker of one stream port (sim/protocol.py reads it).
//
// At every rising edge of clk:
//   1-2  tvalid / tready are never X or Z once the first reset has been applied;
//   3    tvalid is low on every clock whose previous clock had rst high;
//   4-7  while tvalid is high and tready low, tvalid, tdata, tlast and tuser hold
//        to the next clock (unless that clock is in reset: reset abandons a transfer);
//   8    tdata has no X or Z bit while tvalid is high.
// `violation` holds the code of the first broken rule (sim.protocol.RULES), 0 while
// none; `failed` rises with it, and `data_x` as soon as tdata has X/Z bits while
// tvalid is high: the only events the Python side waits for.
// The counters restart at each reset and give throughput and latency.
module tritpack_axis_checker #(
  parameter W = 8,                 // width of tdata
  parameter WATCH_X = 1            // drive `data_x` (the cocotb side waits on it)
) (
  input clk, input rst, input tvalid, input tready, input [W-1:0] tdata,
  input tlast, input tuser
);
  reg [3:0] violation = 0;
  reg failed = 0;
  reg [31:0] violation_clock = 0;
  reg [31:0] clock = 0;            // rising edges so far
  reg [31:0] transfers = 0;        // transfers since the last reset
  reg [31:0] first_valid = 0;      // clock numbers since the last reset, 0 = not yet
  reg [31:0] first_transfer = 0;
  reg [31:0] last_transfer = 0;
  reg armed = 0, prev_rst = 0, held = 0;
  reg [W-1:0] h_data;
  reg h_last, h_user;
  reg [3:0] code;
  wire [31:0] now = clock + 1;
  // Rule 8 as it happens, between clock edges: the Python side wakes on it before
  // any driver samples the X (a 2-state simulator keeps it 0).
  // A wire over all of tdata costs an evaluation at every change of tdata: a testbench
  // that reads `violation` itself (tritpack_check_tb) turns it off.
  wire data_x;
  generate
    if (WATCH_X) begin : watch
      assign data_x = tvalid === 1'b1 && ^tdata === 1'bx;
    end else begin : no_watch
      assign data_x = 1'b0;
    end
  endgenerate
  always @(posedge clk) begin
    // The rules in priority order, the cheap guards first (this runs every clock).
    code = 0;
    if (armed && !rst && tvalid !== 1'b0 && tvalid !== 1'b1) code = 1;
    else if (armed && !rst && tready !== 1'b0 && tready !== 1'b1) code = 2;
    else if (prev_rst && tvalid === 1'b1) code = 3;
    else if (held && !rst) begin
      if (tvalid !== 1'b1) code = 4;
      else if (tdata !== h_data) code = 5;
      else if (tlast !== h_last) code = 6;
      else if (tuser !== h_user) code = 7;
      else if (^tdata === 1'bx) code = 8;
    end else if (tvalid === 1'b1) begin
      if (^tdata === 1'bx) code = 8;
    end
    if (code != 0 && violation == 0) begin
      violation <= code;
      violation_clock <= now;
      failed <= 1;
    end
    clock <= now;
    if (rst === 1'b1) begin  // the counts start again at each reset
      transfers <= 0;
      first_valid <= 0;
      first_transfer <= 0;
      last_transfer <= 0;
    end else begin
      if (tvalid === 1'b1 && first_valid == 0) first_valid <= now;
      if (tvalid === 1'b1 && tready === 1'b1) begin
        transfers <= transfers + 1;
        last_transfer <= now;
        if (first_transfer == 0) first_transfer <= now;
      end
    end
    held <= tvalid === 1'b1 && tready !== 1'b1 && !rst;
    if (tvalid === 1'b1 && tready !== 1'b1) begin  // what must hold to the next clock
      h_data <= tdata;
      h_last <= tlast;
      h_user <= tuser;
    end
    if (rst) armed <= 1;
    prev_rst <= rst === 1'b1;
  end
endmodule
