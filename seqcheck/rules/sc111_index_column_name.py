"""SC111 index-column-name: an index still stores a column's old name.

*What it finds*: ``RENAME COLUMN`` does not rename the column names stored in
an index (NAMING.md §5.4). An index column stored as ``a`` for a table column
now called ``b`` is stale; it also proves the rename ``a → b`` for every other
name on the table. Only positions that are plain columns are compared, against
what PostgreSQL would store today (``(a::varchar)`` stores ``a``; ``(b, b)``
stores ``b``, ``b1``). A partition's index is reported only where its parent
index is not stale at the same position (the parent's rename recurses).

*Why it matters*: invisible to applications, but the next ``LIKE … INCLUDING
INDEXES`` or new partition names its index after the old column. Listed, never
by itself a reason to fail a scan.

*Example*: ``ar_pkey`` stores ``id`` for the column now called ``trans_id``.

*Fix and lock*: ``ALTER TABLE <index> RENAME COLUMN … TO …`` (recurses to
partition indexes); AccessExclusiveLock on the index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.naming import UTF8, Encoding, index_column_names

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Index, Table
    from seqcheck.rules import Subject

CODE = "SC111"
KIND = Kind.INDEX_COLUMN
LABEL = ""


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield nothing: index columns are judged by :func:`stale_columns`."""
    del catalog, tables, clean
    return iter(())


def today_names(index: Index, table: Table, enc: Encoding = UTF8) -> tuple[str, ...]:
    """Return the column names PostgreSQL would store for *index* today."""
    bases = [
        (table.column(attnum) or stored) if attnum else stored
        for attnum, stored in zip(index.table_attnums, index.stored_names, strict=True)
    ]
    return index_column_names(bases, enc)


def stale_columns(
    index: Index, table: Table, enc: Encoding = UTF8
) -> list[tuple[int, int, str, str]]:
    """Return ``(position, attnum, stored, today)`` for each stale plain column."""
    stored = index.stored_names
    plain = [
        stored[pos] == table.column(attnum)
        for pos, attnum in enumerate(index.table_attnums)
        if attnum
    ]
    if all(plain) and len(set(stored)) == len(stored):
        return []  # the common case: nothing renamed, no duplicates to re-number
    today = today_names(index, table, enc)
    return [
        (pos, attnum, old, new)
        for pos, (attnum, old, new) in enumerate(
            zip(index.table_attnums, stored, today, strict=True)
        )
        if attnum and old != new
    ]
