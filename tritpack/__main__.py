"""``python -m tritpack``: the same as the ``tritpack`` command."""

import sys

from .cli import main

sys.exit(main())
