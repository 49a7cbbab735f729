"""Defaults that the command line shows before it imports the library.

Stage: none (constants only). Imports nothing, so ``seqcheck --help`` can
declare its options without loading psycopg; :mod:`seqcheck.statements` and
:mod:`seqcheck.apply` use the same values.
"""

from __future__ import annotations

__all__ = ["DEFAULT_LOCK_TIMEOUT", "DEFAULT_RETRIES"]

#: ``SET LOCAL lock_timeout`` of every transaction that renames (``--lock-timeout``).
DEFAULT_LOCK_TIMEOUT = "2s"

#: Retries after a lock timeout before ``--apply`` gives up (``--retries``).
DEFAULT_RETRIES = 3
