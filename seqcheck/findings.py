"""Findings: what a scan reports, immutable and ordered.

Stage: drift output. Imports only the standard library.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

__all__ = ["Finding", "Kind", "Reason", "Tier"]


class Kind(StrEnum):
    """The kind of named object (the ``--kind`` values)."""

    SEQUENCE = "sequence"
    PKEY = "pkey"
    UNIQUE = "unique"
    EXCLUSION = "exclusion"
    FKEY = "fkey"
    CHECK = "check"
    INDEX = "index"
    NOT_NULL = "not-null"
    STATISTICS = "statistics"
    DOMAIN = "domain"
    INDEX_COLUMN = "index-column"


class Tier(StrEnum):
    """How sure the evidence is (DESIGN.md, "When a name is drift")."""

    CERTAIN = "certain"
    LIKELY = "likely"
    CUSTOM = "custom"
    INDEX_COLUMN = "index-column"


class Reason(StrEnum):
    """Why the name differs from today's default."""

    TABLE_RENAMED = "table renamed"
    COLUMN_RENAMED = "column renamed"
    BOTH_RENAMED = "table and column renamed"
    STALE_INDEX_COLUMN = "stale index column name"
    NAME_FREED = "default name freed by another rename"
    NAME_TAKEN = "default name taken by an older object's rename"
    NOT_DEFAULT = "not the default name"


class Finding(NamedTuple):
    """One name that is not what PostgreSQL would generate today.

    :param schema: the schema of the object.
    :param table: the owning table (or domain) as it is named today.
    :param name: the object's current name; for ``index-column``, ``index.column``.
    :param expected: the name a fresh build gives it, collision digits included.
    :param stale: the stale part the name still holds (old table or column names).
    :param object_name: the object to rename (the index, for ``index-column``).
    :param column: for ``index-column``, the stored column name to rename.
    :param new_column: for ``index-column``, its new name.
    """

    schema: str
    table: str
    kind: Kind
    name: str
    code: str
    tier: Tier
    reason: Reason
    expected: str
    stale: str
    object_oid: int
    table_oid: int
    object_name: str
    column: str = ""
    new_column: str = ""

    @property
    def message(self) -> str:
        """Return a one-line statement of the drift."""
        if self.kind is Kind.INDEX_COLUMN:
            return (
                f"index {self.object_name} still stores column name {self.column!r};"
                f" the table column is now {self.new_column!r}"
            )
        return f"{self.kind} {self.name!r} should be {self.expected!r} ({self.reason})"
