"""SC103 unique-name: a unique constraint is not ``<table>_<columns>_key``.

*What it finds*: a unique constraint whose name was generated for an earlier
table name, or for column names the table no longer has (NAMING.md §4.3; the
columns are the index's, ``INCLUDE`` columns included).

*Why it matters*: constraint names are matched by ``ON CONFLICT ON
CONSTRAINT``, by error handling that parses violation messages, and by diffs.

*Example*: ``marathon_weight_key`` on ``snickers (weight)``.

*Fix and lock*: ``ALTER INDEX … RENAME TO …``; ShareUpdateExclusiveLock on the
index only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.rules._common import index_subjects

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Table
    from seqcheck.rules import Subject

CODE = "SC103"
KIND = Kind.UNIQUE
LABEL = "key"


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every valid index that backs a unique constraint."""
    return index_subjects(
        catalog,
        tables,
        constraint_type="u",
        code=CODE,
        kind=KIND,
        label=LABEL,
        clean=clean,
    )
