"""The FPGA flow: the designs it measures (:mod:`.designs`), synthesis
(:mod:`.synth`), place-and-route timing (:mod:`.timing`), Verilator lint
(:mod:`.lint`), their benchmarks and ``tritpack synth|timing``.
"""
