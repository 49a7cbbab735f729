"""The catalog snapshot: typed records, and a query count that never grows."""

from __future__ import annotations

import dataclasses
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql

from seqcheck.catalog import Catalog, Index, Table, read_catalog
from seqcheck.connect import snapshot
from seqcheck.pipeline import BESIDE_FROM
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


def test_equal_arrays_are_one_tuple(db: TestDB) -> None:
    """Column lists that repeat from table to table are held once (memory)."""
    run_sql(db.dsn, _tables(3))
    with psycopg.connect(db.dsn) as conn:
        catalog = read_catalog(conn)
    t1, t2 = (next(t for t in catalog.tables if t.name == n) for n in ("t1", "t2"))
    assert t1.columns == ("id", "a", "b") and t1.columns is t2.columns
    stored = {id(i.stored_names) for i in catalog.indexes if i.name.endswith("_b_idx")}
    assert len(stored) == 1


def test_a_second_connection_reads_in_the_same_snapshot(
    db: TestDB, caplog: pytest.LogCaptureFixture
) -> None:
    """Indexes and constraints read beside: what the snapshot saw, nothing later."""
    run_sql(db.dsn, _tables(4))
    with psycopg.connect(db.dsn, autocommit=True) as conn, snapshot(conn):
        alone = read_catalog(conn)
        run_sql(db.dsn, "create table late (id int primary key check (id > 0))")
        with caplog.at_level("DEBUG", logger="seqcheck.catalog"):
            beside = read_catalog(conn, beside_from=0)
    assert "indexes, constraints read on a second connection" in caplog.text
    assert _records(beside) == _records(alone)
    assert not any(i.name == "late_pkey" for i in beside.indexes)
    with psycopg.connect(db.dsn, autocommit=True) as conn, snapshot(conn):
        assert any(i.name == "late_pkey" for i in read_catalog(conn).indexes)


def test_without_a_second_connection_one_reads_it_all(
    db: TestDB, caplog: pytest.LogCaptureFixture
) -> None:
    """A role allowed one connection: the second is refused, the first reads all."""
    run_sql(db.dsn, _tables(3))
    role = f"{db.name[:40]}_one"
    with psycopg.connect(db.dsn, autocommit=True) as admin:
        admin.execute(
            pgsql.SQL("create role {} login connection limit 1").format(
                pgsql.Identifier(role)
            )
        )
    try:
        dsn = psycopg.conninfo.make_conninfo(db.dsn, user=role)
        with psycopg.connect(dsn, autocommit=True) as conn, snapshot(conn):
            alone = read_catalog(conn)
            with caplog.at_level("DEBUG", logger="seqcheck.catalog"):
                beside = read_catalog(conn, beside_from=0)
        assert "the second connection failed" in caplog.text
        assert "too many connections for role" in caplog.text
        assert _records(beside) == _records(alone) and len(alone.indexes) == 9
    finally:
        with psycopg.connect(db.dsn, autocommit=True) as admin:
            admin.execute(pgsql.SQL("drop role {}").format(pgsql.Identifier(role)))


def test_a_small_catalog_is_read_on_one_connection(
    db: TestDB, caplog: pytest.LogCaptureFixture
) -> None:
    run_sql(db.dsn, _tables(2))
    with (
        psycopg.connect(db.dsn, autocommit=True) as conn,
        snapshot(conn),
        caplog.at_level("DEBUG", logger="seqcheck.catalog"),
    ):
        read_catalog(conn, beside_from=BESIDE_FROM)
    assert "second connection" not in caplog.text


def _records(catalog: Catalog) -> list[set[Any]]:
    """Every record of *catalog*, each field's in any order (rows come unsorted)."""
    return [set(getattr(catalog, f.name)) for f in dataclasses.fields(catalog)]
