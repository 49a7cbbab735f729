"""``python -m seqcheck.cli``: run the command line."""

from __future__ import annotations

import sys

from seqcheck.cli import main

sys.exit(main())
