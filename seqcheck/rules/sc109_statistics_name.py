"""SC109 statistics-name: extended statistics are not ``<table>_<columns>_stat``.

*What it finds*: a statistics object named for an earlier table name or old
column names (NAMING.md §4.12). The order the columns were written in is not
stored, so every order is accepted; the expected name keeps the order the old
name shows.

*Why it matters*: ``ALTER STATISTICS`` and diffs use the name.

*Example*: ``marathon_a_b_stat`` on ``snickers``.

*Fix and lock*: ``ALTER STATISTICS … RENAME TO …``; a lock on the statistics
object only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.rules import Part, Subject

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Table

CODE = "SC109"
KIND = Kind.STATISTICS
LABEL = "stat"


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every statistics object on a judged table (*clean* or not: few)."""
    del clean
    for stat in catalog.statistics:
        table = tables.get(stat.table_oid)
        if table is None:
            continue
        numbers = dict(zip(table.columns, table.attnums, strict=True))
        parts = tuple(Part(numbers[name], name) for name in stat.column_names) + tuple(
            Part(0, "expr") for _ in range(stat.expression_count)
        )
        yield Subject(
            CODE,
            KIND,
            LABEL,
            stat.oid,
            stat.schema_oid,
            stat.name,
            table.name,
            table,
            parts,
            any_order=True,
        )
