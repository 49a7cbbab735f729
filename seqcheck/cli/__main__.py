"""``python -m seqcheck.cli``: run the command line."""

from __future__ import annotations

from seqcheck.cli import run

run()
