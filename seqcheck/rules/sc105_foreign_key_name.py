"""SC105 foreign-key-name: a foreign key is not ``<table>_<columns>_fkey``.

*What it finds*: a foreign key named for an earlier name of its (referencing)
table or of its referencing columns, in the order written (NAMING.md §4.6).
Partition clones (``conparentid <> 0``) follow their parent and are skipped.
The rows PostgreSQL 12–17 adds for each partition of a partitioned referenced
table are named like a key of their own (``fr_id_fkey1``): they follow their
key when it is renamed, and are judged on their own when it is not (a
hand-named key; violation messages name the row).

*Why it matters*: violation messages name the constraint; applications and
migration tools that match on it break, and diffs show noise.

*Example*: ``marathon_owner_id_fkey`` on ``snickers (owner_id)``.

*Fix and lock*: ``ALTER TABLE … RENAME CONSTRAINT …``; AccessExclusiveLock on
the table (briefly; set ``lock_timeout``).
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.rules import Subject
from seqcheck.rules._common import constraint_subjects, row_subjects

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Table

CODE = "SC105"
KIND = Kind.FKEY
LABEL = "fkey"


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every top-level foreign key, then the rows named like one."""
    return chain(
        constraint_subjects(
            catalog,
            tables,
            contype="f",
            code=CODE,
            kind=KIND,
            label=LABEL,
            clean=clean,
        ),
        row_subjects(catalog, tables, code=CODE, kind=KIND, label=LABEL),
    )
