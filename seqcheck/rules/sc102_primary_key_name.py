"""SC102 primary-key-name: a primary key is not named ``<table>_pkey``.

*What it finds*: a primary key (constraint and index share the name) whose name
is ``<old table>_pkey`` for an earlier name of its table (NAMING.md §4.2).

*Why it matters*: ``ON CONFLICT ON CONSTRAINT``, monitoring and schema diffs
match constraint names; a stale one points at a table that no longer exists.

*Example*: ``marathon_pkey`` on table ``snickers``.

*Fix and lock*: ``ALTER INDEX … RENAME TO …`` renames the index and its
constraint; ShareUpdateExclusiveLock on the index only, no table lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.rules._common import index_subjects

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Table
    from seqcheck.rules import Subject

CODE = "SC102"
KIND = Kind.PKEY
LABEL = "pkey"


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every valid primary-key index."""
    return index_subjects(
        catalog,
        tables,
        constraint_type="p",
        code=CODE,
        kind=KIND,
        label=LABEL,
        clean=clean,
    )
