"""SC101 sequence-name: an owned sequence no longer carries its table and column name.

*What it finds*: a serial or identity sequence whose name is not
``<table>_<column>_seq`` (NAMING.md §4.1) for the table and column that own it
today, because one of them was renamed.

*Why it matters*: code that calls ``currval('snickers_id_seq')`` or builds the
name from the table fails; schema diffs between environments show noise.

*Example*: ``ALTER TABLE marathon RENAME TO snickers`` leaves ``marathon_id_seq``.

*Fix and lock*: ``ALTER SEQUENCE … RENAME TO …``; AccessExclusiveLock on the
sequence, which waits for open transactions that called ``nextval`` on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.naming import is_whole
from seqcheck.rules import Part, Subject

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Table

CODE = "SC101"
KIND = Kind.SEQUENCE
LABEL = "seq"


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every sequence owned by a column of a judged table."""
    for seq in catalog.sequences:
        table = tables.get(seq.table_oid)
        if table is None or seq.from_extension:
            continue
        if not clean and is_whole(seq.name, table.name, seq.column_name, LABEL):
            continue
        yield Subject(
            CODE,
            KIND,
            LABEL,
            seq.oid,
            seq.schema_oid,
            seq.name,
            table.name,
            table,
            (Part(seq.attnum, seq.column_name),),
        )
