"""The predicted catalog after a plan is the one read after applying it.

:func:`~seqcheck.verify.predicted` models what the renames do, side effects
included (inheritors' CHECK and NOT NULL copies, partition index columns, the
constraint an index backs); after a real ``--apply`` the catalog read back has
exactly those names, :meth:`~seqcheck.verify.Expected.met_by` agrees, and drift judges
both alike. ``apply_plan`` then needs no second catalog read; when the schema
changed since the scan, it reads the catalog again.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import seqcheck.apply
from seqcheck.ahead import read_names
from seqcheck.apply import apply_plan
from seqcheck.catalog import Catalog, Constraint, TakenName, read_catalog
from seqcheck.connect import connect
from seqcheck.drift import Scope, find_drift
from seqcheck.findings import Kind
from seqcheck.pipeline import scan_connection
from seqcheck.verify import (
    Rename,
    expected,
    key,
    predicted,
    renames,
    touched,
    unexpected,
)
from tests.builders import catalog_for, finding
from tests.fix_server import TestDB, run_sql
from tests.test_apply import STORY, SWAP
from tests.test_batches import FAMILY
from tests.test_cli import HOSTILE


@pytest.fixture
def conn(db: TestDB) -> Iterator[psycopg.Connection[Any]]:
    with connect(db.dsn) as conn:
        yield conn


def names_of(catalog: Catalog) -> dict[str, Any]:
    """Every name-bearing field of *catalog*, keyed so that order does not matter."""
    return {
        "sequences": {(s.oid, s.name) for s in catalog.sequences},
        "indexes": {(i.oid, i.name, i.stored_names) for i in catalog.indexes},
        "constraints": {(c.oid, c.name) for c in catalog.constraints},
        "statistics": {(s.oid, s.name) for s in catalog.statistics},
        "taken": {(t.schema_oid, t.space): Counter(t.names) for t in catalog.names},
    }


@pytest.mark.parametrize(
    "schema",
    [STORY + SWAP, FAMILY, HOSTILE],
    ids=["story-swap", "inheritance-partitions", "hostile"],
)
def test_the_predicted_catalog_is_the_one_read_after_apply(
    db: TestDB, conn: psycopg.Connection[Any], schema: str
) -> None:
    run_sql(db.dsn, schema)
    scope = Scope(strict=True)
    found = scan_connection(conn, scope)
    assert found.plan.steps
    forecast = predicted(found.catalog, renames(found.plan.steps))
    assert names_of(forecast) != names_of(found.catalog)
    apply_plan(conn, found.plan, scope=scope, catalog=found.catalog)
    conn.read_only = False
    with conn.transaction():
        after = read_catalog(conn)
        names = read_names(conn)
    assert names_of(forecast) == names_of(after)
    assert expected(forecast).met_by(names)
    assert not expected(found.catalog).met_by(names)
    assert find_drift(forecast, scope) == find_drift(after, scope)


def test_the_forecast_spares_a_second_catalog_read(
    db: TestDB, conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_sql(db.dsn, STORY + SWAP)
    found = scan_connection(conn)

    def no_read(*args: Any) -> Catalog:
        raise AssertionError("read the catalog again")

    monkeypatch.setattr(seqcheck.apply, "read_catalog", no_read)
    result = apply_plan(conn, found.plan, catalog=found.catalog)
    assert result.drift.findings == ()


def test_a_schema_changed_since_the_scan_is_read_again(
    db: TestDB, conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_sql(db.dsn, STORY)
    found = scan_connection(conn)
    run_sql(db.dsn, "create table newcomer (id serial primary key)")
    reads: list[int] = []

    def counted(*args: Any) -> Catalog:
        reads.append(1)
        return read_catalog(*args)

    monkeypatch.setattr(seqcheck.apply, "read_catalog", counted)
    result = apply_plan(conn, found.plan, catalog=found.catalog)
    assert reads == [1]
    assert result.drift.findings == ()
    # without the plan's catalog, the last batch always reads it
    run_sql(db.dsn, "alter table newcomer rename to latecomer")
    again = scan_connection(conn)
    apply_plan(conn, again.plan)
    assert reads == [1, 1]


def test_unexpected_finds_only_what_the_renames_did_not_plan() -> None:
    pkey = Rename(Kind.PKEY, "s", "t", 10, "t_pkey", "u_pkey")
    column = Rename(Kind.INDEX_COLUMN, "s", "t", 10, "a", "b", index="u_pkey")
    before = {
        (key("relation", 10), "s", "t_pkey"),
        (key("constraint", 11), "s", "t_pkey"),
        (key("column", 10, 1), "s", "a"),
        (key("relation", 12), "s", "other"),
        (key("column", 12, 1), "s", "c"),
    }
    renamed = {
        (key("relation", 10), "s", "u_pkey"),
        (key("constraint", 11), "s", "u_pkey"),  # along with its index
        (key("column", 10, 1), "s", "b"),
        (key("relation", 12), "s", "other"),
        (key("column", 12, 1), "s", "c"),
    }
    assert unexpected([pkey, column], before, renamed) == []
    # objects that appear or vanish are no renames
    assert (
        unexpected([pkey, column], before, renamed - {(key("column", 12, 1), "s", "c")})
        == []
    )
    meddled = renamed - {
        (key("relation", 12), "s", "other"),
        (key("column", 12, 1), "s", "c"),
    }
    meddled |= {(key("relation", 12), "s", "moved"), (key("column", 12, 1), "s", "d")}
    assert unexpected([pkey, column], before, meddled) == [
        "relation s.other is now named 'moved', not planned",
        "column c of s.moved is now named 'd', not planned",
    ]
    assert unexpected([pkey, column], before, before) == [
        "pkey s.t_pkey is named 't_pkey', not 'u_pkey'",
        "column a of index s.u_pkey is named 'a', not 'b'",
    ]
    gone = renamed - {(key("relation", 10), "s", "u_pkey")}
    assert unexpected([pkey, column], before, gone) == ["pkey s.t_pkey is gone"]


def test_expected_names_need_every_name_and_no_other() -> None:
    index = finding(Kind.INDEX, "t_a_idx", "t_b_idx", schema="s")
    catalog = catalog_for([index], columns={index.object_oid: ("a",)})
    (named,) = catalog.indexes
    taken = TakenName(named.schema_oid, "relation", (named.name, "v"))
    catalog = dataclasses.replace(catalog, names=(taken,))
    want = expected(catalog)
    assert want.possible
    assert (key("column", index.object_oid, 1), "s", "a") in want.rows
    read = set(want.rows) | {(key("relation", 5), "s", "v")}
    assert want.met_by(read)
    assert expected(catalog).met_by(read)
    assert not want.met_by(read | {(key("relation", 6), "s", "w")})  # one more
    assert not want.met_by(read - {(key("relation", 5), "s", "v")})  # one less
    assert not want.met_by(read - {(key("column", index.object_oid, 1), "s", "a")})
    assert not want.met_by({(k, "elsewhere", n) for k, _, n in read})


def _constraint(
    oid: int, name: str, table: int, contype: str = "c", parent: int = 0
) -> Constraint:
    return Constraint(
        oid, 2200, name, contype, table, 0, "", (1,), ("x",), True, 0, parent, 0
    )


def test_touched_tables_are_those_whose_verdicts_may_change() -> None:
    """A renamed object's table, its name's copies, a child key, digits, findings."""
    constraints = (
        _constraint(11, "a_x_check", 1),  # renamed
        _constraint(12, "a_x_check", 2),  # its old name: a copy guard may change
        _constraint(13, "b_x_check", 3),  # its new name
        _constraint(14, "d_x_fkey", 4, "f"),  # renamed key
        _constraint(15, "q_x_fkey", 5, "f", parent=14),  # a partition's copy of it
        _constraint(16, "t6_x_check1", 6),  # collision digits: the Namer may move it
        _constraint(17, "t8_x_check", 8),  # nothing to do with it
    )
    before = dataclasses.replace(catalog_for([]), constraints=constraints)
    done = [
        Rename(Kind.CHECK, "public", "b", 11, "a_x_check", "b_x_check"),
        Rename(Kind.FKEY, "public", "e", 14, "d_x_fkey", "e_x_fkey"),
    ]
    after = predicted(before, done)
    left = finding(Kind.CHECK, "c_check", "g_check")._replace(table_oid=7)
    assert touched(before, after, [left]) == {1, 2, 3, 4, 5, 6, 7}
    assert touched(before, before, []) == {6}
