"""``python -m tritpack.hw.formal``: run the formal proofs (see :mod:`.runner`)."""

import sys

from .runner import main

sys.exit(main())
