"""seqcheck: find and fix names that drifted from their PostgreSQL tables."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
