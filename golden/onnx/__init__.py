"""The ``TernaryDecode`` ONNX operator: the software fallback of the format, in ONNX.

A packed model stores each ternary weight as a uint8 initializer of 5-trit
bytes (the block format of docs/FORMAT.md) feeding a ``TernaryDecode`` node of
the custom domain ``ai.tritpack``, version 1.  The operator is a model-local
ONNX function whose body uses only standard ops, so any runtime that supports
functions runs the model with nothing of tritpack installed; ``tritpack onnx
fold`` turns it into plain initializers for runtimes that do not.
docs/TERNARYDECODE.md is the operator page.

Modules (each imports ``onnx`` itself; importing this package does not):

:mod:`.function`
    The function body, one per codec, built from golden's LUT.
:mod:`.reference`
    The operator's semantics in numpy (golden decode), and the codec of a function.
:mod:`.modelio`
    Loading, version checks and atomic saving of models.
:mod:`.pack`, :mod:`.fold`, :mod:`.info`, :mod:`.conformance`
    ``tritpack onnx pack | fold | info | conformance``.
:mod:`.commands`
    The ``tritpack onnx`` subcommand (plugin).
:mod:`.bench`
    ``tritpack bench onnx``.
"""

DOMAIN = "ai.tritpack"
DOMAIN_VERSION = 1
OP_TYPE = "TernaryDecode"

__all__ = ["DOMAIN", "DOMAIN_VERSION", "OP_TYPE"]
