"""Batches: locks counted as the server takes them, units kept whole, lock order.

The counted locks of a plan are compared with ``pg_locks`` after running its
statements in one transaction, on schemas with inheritance, partitions,
statistics and domains. Cutting never splits a table's renames, a swap or a
chain, and a cut plan still applies cleanly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from seqcheck.batches import (
    DEFAULT_LOCK_TABLE,
    LOCK_OVERHEAD,
    MIN_BUDGET,
    LockTable,
    locked,
    split_plan,
)
from seqcheck.connect import connect
from seqcheck.drift import Scope
from seqcheck.findings import Kind
from seqcheck.pipeline import Scanned, scan_connection
from seqcheck.plan import Phase, StatementKind
from seqcheck.statements import statement
from tests.fix_server import TestDB, run_sql
from tests.test_apply import STORY, SWAP

FAMILY = """
create table p_old (id serial primary key, a int check (a > 0), b int,
                    r int references p_old);
create index on p_old (b);
create statistics p_old_a_b_stat on a, b from p_old;
create table c1 () inherits (p_old);
create table c2 () inherits (c1);
create table pt_old (id int, k int, v int check (v > 0), primary key (id, k))
    partition by list (k);
create table pt_old1 partition of pt_old for values in (1);
create table pt_old2 partition of pt_old for values in (2) partition by list (id);
create table pt_old21 partition of pt_old2 for values in (1);
create index on pt_old (v);
create domain d_old int constraint d_old_check check (value > 0);
alter table p_old rename to p;
alter table p rename column b to bb;
alter table pt_old rename to pt;
alter table pt rename column v to vv;
alter domain d_old rename to d;
"""

CHAIN = """
create table a (id serial primary key);
create table b (id serial primary key);
create table c (id serial primary key);
alter table c rename to d;
alter table b rename to c;
alter table a rename to b;
"""

# Relation and object locks this session holds in the shared table, catalogs
# (OIDs below FirstNormalObjectId) left out.
HELD = """
select locktype, coalesce(relation, objid)::int8 from pg_locks
 where pid = pg_backend_pid() and not fastpath
   and locktype in ('relation', 'object')
   and coalesce(relation, objid)::int8 >= 16384
"""


@pytest.fixture
def conn(db: TestDB) -> Iterator[psycopg.Connection[Any]]:
    with connect(db.dsn) as conn:
        yield conn


def scanned(conn: psycopg.Connection[Any], strict: bool = True) -> Scanned:
    return scan_connection(conn, Scope(strict=strict))


def tables(steps: tuple[Any, ...]) -> set[str]:
    return {s.table for s in steps}


# -- without a server ---------------------------------------------------------


def test_budget_is_half_the_lock_table_less_the_overhead() -> None:
    assert DEFAULT_LOCK_TABLE.size == 6400
    assert DEFAULT_LOCK_TABLE.budget() == 3200 - LOCK_OVERHEAD
    assert LockTable(10, 10, 0).budget() == 50 - LOCK_OVERHEAD
    assert LockTable(10, 5, 0).budget() == MIN_BUDGET
    assert LockTable(64, 100, 10).size == 7040
    assert "max_prepared_transactions 10" in LockTable(64, 100, 10).describe()


# -- on a server --------------------------------------------------------------


def test_counted_locks_are_the_locks_the_server_takes(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, FAMILY)
    found = scanned(conn)
    kinds = {s.statement for s in found.plan.steps}
    assert kinds == set(StatementKind)  # every statement kind is exercised
    counted = {lock for s in found.plan.steps for lock in locked(s, found.catalog)}
    with psycopg.connect(db.dsn) as other:
        for step in found.plan.steps:
            other.execute(statement(step))
        held = set(other.execute(HELD).fetchall())
        other.rollback()
    assert held == counted
    # The recursing CHECK rename locks both inheritors; the partitioned
    # index's column rename locks its three partition indexes.
    check = next(s for s in found.plan.steps if s.old == "p_old_a_check")
    assert len(locked(check, found.catalog)) == 3
    column = next(s for s in found.plan.steps if s.old == "v")
    assert len(locked(column, found.catalog)) == 4
    fkey = next(s for s in found.plan.steps if s.kind is Kind.FKEY)
    assert len(locked(fkey, found.catalog)) == 1


def test_a_plan_that_fits_is_one_batch_in_lock_order(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY)
    found = scanned(conn)
    (batch,) = split_plan(found.plan, found.catalog, locks=1000)
    assert sorted(batch.steps, key=id) == sorted(found.plan.steps, key=id)
    order = [s.statement for s in batch.steps if s.table == "snickers"]
    # table locks first, the sequence last (writers lock in that order)
    assert order[0] is StatementKind.RENAME_CONSTRAINT
    assert order[-1] is StatementKind.ALTER_SEQUENCE
    seen: set[int] = set()
    for step in batch.steps:  # an index is renamed before its columns
        if step.kind is Kind.INDEX_COLUMN:
            assert step.object_oid in seen or step.index == step.finding.object_name
        else:
            seen.add(step.object_oid)
    assert split_plan(found.plan, found.catalog) == (batch,)


def test_a_tables_renames_stay_together(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, FAMILY)
    found = scanned(conn)
    batches = split_plan(found.plan, found.catalog, locks=1)
    assert len(batches) > 2
    per_table: dict[str, int] = {}
    for number, batch in enumerate(batches):
        for step in batch.steps:
            assert per_table.setdefault(step.table, number) == number
    assert sum(len(b.steps) for b in batches) == len(found.plan.steps)
    # a unit over the limit gets a batch of its own
    assert all(len(tables(b.steps)) == 1 for b in batches if b.locks > 1)
    by_statements = split_plan(found.plan, found.catalog, statements=2)
    assert all(len(b.steps) <= 2 or len(tables(b.steps)) == 1 for b in by_statements)


@pytest.mark.parametrize("schema", [SWAP, CHAIN], ids=["swap", "chain"])
def test_swaps_and_chains_never_span_two_batches(
    db: TestDB, conn: psycopg.Connection[Any], schema: str
) -> None:
    run_sql(db.dsn, schema)
    found = scanned(conn, strict=False)
    batches = split_plan(found.plan, found.catalog, statements=1)
    for batch in batches:
        temp = [s for s in batch.steps if s.phase is Phase.TO_TEMP]
        back = [s for s in batch.steps if s.phase is Phase.FROM_TEMP]
        assert {s.object_oid for s in temp} == {s.object_oid for s in back}
        taken = {s.new for s in batch.steps}
        freed = {s.old for s in batch.steps}
        for other in batches:
            if other is not batch:
                # no batch takes a name another batch frees
                assert not taken & {s.old for s in other.steps}
                assert not freed & {s.new for s in other.steps}
    from seqcheck.apply import apply_plan

    apply_plan(conn, found.plan, catalog=found.catalog, batches=batches)
    assert scanned(conn, strict=False).drift.findings == ()


def test_referencing_tables_come_before_the_tables_they_reference(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(
        db.dsn,
        """
        create table apple_old (id serial primary key, n int check (n > 0));
        create table zebra_old (id serial primary key,
                                apple_id int references apple_old);
        alter table apple_old rename to apple;
        alter table zebra_old rename to zebra;
        """,
    )
    found = scanned(conn)
    assert found.plan.steps[0].table == "apple"  # plan order
    batches = split_plan(found.plan, found.catalog, statements=1)
    assert [tables(b.steps) for b in batches] == [{"zebra"}, {"apple"}]
