"""SC104 exclusion-name: an exclusion constraint is not ``<table>_<columns>_excl``.

*What it finds*: an exclusion constraint named for an earlier table name or
for old column names (NAMING.md §4.4; expressions use their index column name).

*Why it matters*: as for unique constraints, the name is matched by code that
handles conflicts and by schema diffs.

*Example*: ``booking_room_during_excl`` on ``reservation (room, during)``.

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

CODE = "SC104"
KIND = Kind.EXCLUSION
LABEL = "excl"


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every valid index that backs an exclusion constraint."""
    return index_subjects(
        catalog,
        tables,
        constraint_type="x",
        code=CODE,
        kind=KIND,
        label=LABEL,
        clean=clean,
    )
