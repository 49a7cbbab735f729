"""SC108 not-null-name: a NOT NULL constraint is not ``<table>_<column>_not_null``.

*What it finds*: on PostgreSQL 18, where NOT NULL constraints have names, one
named for an earlier table or column name (NAMING.md §4.8). Inherited copies
follow their parent; a name that a table of the old name still has was copied
by ``LIKE`` and is not drift.

*Why it matters*: ``pg_dump`` 18 writes non-default NOT NULL names explicitly,
so every dump and diff carries the stale name.

*Example*: ``marathon_id_not_null`` on ``snickers (id)``.

*Fix and lock*: ``ALTER TABLE … RENAME CONSTRAINT …`` at the root of
inheritance; AccessExclusiveLock on each table it visits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.rules import Subject
from seqcheck.rules._common import constraint_subjects

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Table

CODE = "SC108"
KIND = Kind.NOT_NULL
LABEL = "not_null"


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every local NOT NULL constraint of a judged table."""
    return constraint_subjects(
        catalog,
        tables,
        contype="n",
        code=CODE,
        kind=KIND,
        label=LABEL,
        clean=clean,
    )
