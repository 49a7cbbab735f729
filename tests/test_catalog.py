"""The catalog snapshot: typed records, and a query count that never grows."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from seqcheck.catalog import Index, Table, read_catalog
from seqcheck.connect import snapshot
from tests.fix_server import TestDB, run_sql


class CountingCursor(psycopg.Cursor[Any]):
    """A real cursor that counts the statements it sends."""

    executed = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        CountingCursor.executed += 1
        return super().execute(*args, **kwargs)


def _count(dsn: str) -> int:
    CountingCursor.executed = 0
    with psycopg.connect(dsn, cursor_factory=CountingCursor) as conn, snapshot(conn):
        CountingCursor.executed = 0
        read_catalog(conn)
    return CountingCursor.executed


def _tables(n: int) -> str:
    return "\n".join(
        f"create table t{i} (id serial primary key, a int unique check (a > 0),"
        f" b int references t0); create index on t{i} (b);"
        for i in range(n)
    )


def test_query_count_does_not_grow_with_the_schema(db: TestDB) -> None:
    run_sql(db.dsn, _tables(1))
    small = _count(db.dsn)
    run_sql(db.dsn, _tables(200).replace("create table t0 ", "create table u0 ", 1))
    assert _count(db.dsn) == small
    assert small <= 10


def test_records_are_immutable_and_typed(db: TestDB) -> None:
    run_sql(
        db.dsn,
        """
        create table p (a int, "B c" int, primary key (a, "B c"))
            partition by range (a);
        create table p1 partition of p for values from (0) to (10);
        create index on p1 (("B c" + 1), a) include ("B c");
        """,
    )
    with psycopg.connect(db.dsn) as conn:
        catalog = read_catalog(conn)
    tables = {t.name: t for t in catalog.tables}
    assert isinstance(tables["p1"], Table)
    assert tables["p1"].columns == ("a", "B c")
    assert tables["p1"].is_partition and tables["p1"].parents == (tables["p"].oid,)
    index = next(i for i in catalog.indexes if i.name == "p1_expr_a_B c_idx")
    assert isinstance(index, Index)
    assert index.table_attnums == (0, 1, 2)
    assert index.stored_names == ("expr", "a", "B c")
    assert index.key_count == 2
    child_pkey = next(i for i in catalog.indexes if i.name == "p1_pkey")
    parent_pkey = next(i for i in catalog.indexes if i.name == "p_pkey")
    assert child_pkey.parent_oid == parent_pkey.oid
    assert parent_pkey.relkind == "I" and parent_pkey.constraint_type == "p"
    with pytest.raises(AttributeError):
        tables["p1"].name = "x"  # type: ignore[misc]
