"""apply_plan in batches, with retries, pre-flight and strict verification.

On a server with a tiny lock table (``max_locks_per_transaction`` 10,
``max_connections`` 10), one transaction renaming a few hundred objects fails
with ``out of shared memory``, as 30,000 do on a server with default settings
(issue 4), while the batches :func:`batch_maker` cuts all commit. A lock
timeout is retried with a growing pause; a later batch that gives up leaves the
earlier ones committed and a re-run finishes. Pre-flight refuses roles that do
not own an object, owners without CREATE on the schema, and standbys, before
anything changes. A rename the plan does not make fails verification.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql

from seqcheck.apply import apply_plan, batch_maker, read_lock_table
from seqcheck.batches import split_plan
from seqcheck.connect import connect
from seqcheck.embedded import Server, start_server
from seqcheck.errors import SeqcheckError
from seqcheck.preflight import check_preflight
from seqcheck.statements import session_state
from tests.fix_server import TestDB, run_sql
from tests.test_apply import STORY, scan, state

#: A lock table of 10 × 10 slots (really about 500 on 15, 700 on 18).
SMALL_LOCK_TABLE = {"max_locks_per_transaction": "10", "max_connections": "10"}
#: Tables for the small server: 3 renames each (sequence, pkey, index; 4 on 18).
MANY = 300

THREE = """
create table one_old (id serial primary key, v int check (v > 0));
create table two_old (id serial primary key, v int check (v > 0));
create table three_old (id serial primary key, v int check (v > 0));
alter table one_old rename to one;
alter table two_old rename to two;
alter table three_old rename to three;
"""


@pytest.fixture
def conn(db: TestDB) -> Iterator[psycopg.Connection[Any]]:
    with connect(db.dsn) as conn:
        yield conn


@pytest.fixture
def small(pg_server: Server) -> Iterator[Server]:
    """A server of the same version with a tiny shared lock table."""
    with start_server(pg_server.bin_dir, settings=SMALL_LOCK_TABLE) as server:
        yield server


def build_many(dsn: str, count: int = MANY) -> None:
    """Create *count* renamed tables, one statement per transaction."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for n in range(count):
            conn.execute(f"create table old_{n} (id serial primary key, v int)")
            conn.execute(f"create index on old_{n} (v)")
            conn.execute(f"alter table old_{n} rename to new_{n}")


def renamed_tables(dsn: str) -> set[str]:
    """Return the tables whose sequence carries the table's name."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "select c.relname from pg_class c join pg_depend d"
            " on d.refobjid = c.oid and d.deptype in ('a', 'i')"
            " join pg_class s on s.oid = d.objid and s.relkind = 'S'"
            " where s.relname = c.relname || '_id_seq'"
        ).fetchall()
    return {name for (name,) in rows}


# -- batches --------------------------------------------------------------------


def test_one_transaction_runs_out_of_shared_memory_and_batches_do_not(
    small: Server,
) -> None:
    dsn = small.dsn()
    build_many(dsn)
    with connect(dsn) as conn:
        found = scan(conn)
        count = len(found.plan.steps)  # and a NOT NULL constraint on 18
        assert count == (4 if small.major >= 18 else 3) * MANY
        before = state(dsn).names
        with pytest.raises(SeqcheckError) as caught:
            apply_plan(conn, found.plan, catalog=found.catalog)  # one transaction
        message = str(caught.value)
        assert "lock table is full (out of shared memory) after" in message
        assert "nothing was changed" in message
        assert "--batch" in message
        assert state(dsn).names == before

        table = read_lock_table(conn)
        assert table.size == 100
        batches = batch_maker(conn, found.plan, found.catalog)()
        assert len(batches) > 1
        assert all(b.locks <= table.budget() for b in batches)
        result = apply_plan(conn, found.plan, catalog=found.catalog, batches=batches)
        assert result.batches == len(batches)
        assert len(result.renames) == count
        assert result.drift.findings == ()
        assert scan(conn).drift.findings == ()
    after = state(dsn)
    assert after.names.keys() == before.keys()  # the same OIDs
    changed = sum(a != before[k] for k, a in after.names.items())
    assert changed == count + MANY  # a pkey's index and constraint both


def test_batches_commit_one_by_one_and_verify_each(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY + THREE)
    before = state(db.dsn)
    found = scan(conn)
    batches = split_plan(found.plan, found.catalog, statements=1)
    assert len(batches) == 4
    started: list[tuple[int, int]] = []
    result = apply_plan(
        conn,
        found.plan,
        catalog=found.catalog,
        batches=batches,
        on_batch=lambda n, total: started.append((n, total)),
    )
    assert started == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert result.batches == 4
    assert result.steps == tuple(s for b in batches for s in b.steps)
    assert scan(conn).drift.findings == ()
    after = state(db.dsn)
    assert (after.names.keys(), after.rows, after.positions) == (
        before.names.keys(),
        before.rows,
        before.positions,
    )


# -- retries --------------------------------------------------------------------


def test_a_lock_timeout_is_retried_then_given_up(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY)
    before = state(db.dsn).names
    found = scan(conn)
    with psycopg.connect(db.dsn, application_name="holder") as other:
        other.execute("lock table snickers in access share mode")
        began = time.monotonic()
        with pytest.raises(SeqcheckError) as caught:
            apply_plan(
                conn,
                found.plan,
                catalog=found.catalog,
                lock_timeout_ms=200,
                retries=2,
                backoff_ms=100,
            )
        waited = time.monotonic() - began
        message = str(caught.value)
        assert "waited longer than lock_timeout (200ms)" in message
        assert f"pid {other.info.backend_pid} (application_name 'holder'" in message
        assert "(3 attempts)" in message
        assert "nothing was changed" in message
        other.rollback()
    assert waited >= 3 * 0.2 + 0.1 + 0.2  # three waits, then 100 and 200 ms pauses
    assert state(db.dsn).names == before


def test_a_retry_goes_through_once_the_lock_is_released(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY)
    found = scan(conn)
    with psycopg.connect(db.dsn) as other:
        other.execute("select nextval('marathon_id_seq')")
        release = threading.Timer(0.5, other.rollback)
        release.start()
        try:
            result = apply_plan(
                conn,
                found.plan,
                catalog=found.catalog,
                lock_timeout_ms=150,
                retries=5,
                backoff_ms=100,
            )
        finally:
            release.join()
    assert result.drift.findings == ()


def test_a_later_batch_gives_up_and_the_earlier_ones_stay(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, THREE)
    found = scan(conn)
    batches = split_plan(found.plan, found.catalog, statements=1)
    order = [b.steps[0].table for b in batches]
    with psycopg.connect(db.dsn) as other:
        other.execute(
            pgsql.SQL("lock table {} in access share mode").format(
                pgsql.Identifier(order[1])
            )
        )
        with pytest.raises(SeqcheckError) as caught:
            apply_plan(
                conn,
                found.plan,
                catalog=found.catalog,
                batches=batches,
                lock_timeout_ms=100,
                retries=0,
            )
        other.rollback()
    message = str(caught.value)
    # sent as one query, the statement that waited is found by its lock
    assert message.startswith("renaming ")
    what, waited, _ = message.partition(" waited longer than lock_timeout (100ms)")
    assert waited and f" public.{order[1]}_old_" in what
    assert "nothing of batch 2 of 3 was committed" in message
    per_table = len(found.plan.steps) // 3
    assert f"batch 1 ({per_table} renames) stay committed" in message
    assert "run seqcheck fix --apply again to finish" in message
    assert renamed_tables(db.dsn) == {order[0]}
    again = scan(conn)  # the re-scan plans only what is left
    assert {s.table for s in again.plan.steps} == set(order[1:])
    apply_plan(conn, again.plan, catalog=again.catalog)
    assert renamed_tables(db.dsn) == set(order)


# -- pre-flight -----------------------------------------------------------------


@pytest.fixture
def roles(db: TestDB) -> Iterator[dict[str, str]]:
    """Roles named after the test's database: owner, member, stranger."""
    names = {k: f"{db.name[:40]}_{k}" for k in ("owner", "member", "stranger")}
    ident = {k: pgsql.Identifier(v) for k, v in names.items()}
    with psycopg.connect(db.dsn, autocommit=True) as admin:
        admin.execute(pgsql.SQL("create role {} login").format(ident["owner"]))
        admin.execute(
            pgsql.SQL("create role {} login in role {}").format(
                ident["member"], ident["owner"]
            )
        )
        admin.execute(pgsql.SQL("create role {} login").format(ident["stranger"]))
    try:
        yield names
    finally:
        with psycopg.connect(db.dsn, autocommit=True) as admin:
            for name in ident.values():
                admin.execute(pgsql.SQL("drop owned by {} cascade").format(name))
            for name in reversed(ident.values()):
                admin.execute(pgsql.SQL("drop role {}").format(name))


def as_role(db: TestDB, role: str) -> str:
    return psycopg.conninfo.make_conninfo(db.dsn, user=role)


def owned_story(db: TestDB, owner: str, *, create: bool) -> None:
    """The story in schema ``app``, owned by *owner*, CREATE on it or not."""
    who = pgsql.Identifier(owner)
    with psycopg.connect(db.dsn, autocommit=True) as admin:
        admin.execute("create schema app")
        admin.execute(pgsql.SQL("grant usage, create on schema app to {}").format(who))
    with psycopg.connect(as_role(db, owner), autocommit=True) as conn:
        conn.execute(("set search_path = app;" + STORY).encode())
    if not create:
        with psycopg.connect(db.dsn, autocommit=True) as admin:
            admin.execute(pgsql.SQL("revoke create on schema app from {}").format(who))


def test_a_role_that_does_not_own_the_objects_changes_nothing(
    db: TestDB, roles: dict[str, str]
) -> None:
    owned_story(db, roles["owner"], create=True)
    with psycopg.connect(db.dsn, autocommit=True) as admin:
        admin.execute(
            pgsql.SQL("grant usage, create on schema app to {}").format(
                pgsql.Identifier(roles["stranger"])
            )
        )
    before = state(db.dsn).names
    with connect(as_role(db, roles["stranger"])) as conn:
        found = scan(conn)
        with pytest.raises(SeqcheckError) as caught:
            apply_plan(conn, found.plan, catalog=found.catalog)
    message = str(caught.value)
    count = len({s.object_oid for s in found.plan.steps})
    assert message.startswith(
        f"role {roles['stranger']} may not rename {count} objects: "
    )
    assert f"(owned by {roles['owner']})" in message
    assert f"and {count - 3} more" in message
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("nothing was changed")
    assert state(db.dsn).names == before


def test_a_member_of_the_owning_role_may_rename(
    db: TestDB, roles: dict[str, str]
) -> None:
    owned_story(db, roles["owner"], create=True)
    with connect(as_role(db, roles["member"])) as conn:
        found = scan(conn)
        apply_plan(conn, found.plan, catalog=found.catalog)
        assert scan(conn).drift.findings == ()


def test_an_owner_without_create_on_the_schema_changes_nothing(
    db: TestDB, roles: dict[str, str]
) -> None:
    owned_story(db, roles["owner"], create=False)
    before = state(db.dsn).names
    with connect(as_role(db, roles["owner"])) as conn:
        found = scan(conn)
        with pytest.raises(SeqcheckError) as caught:
            apply_plan(conn, found.plan, catalog=found.catalog)
    message = str(caught.value)
    # indexes and sequences (4); not the constraints, nor the index column
    assert f"role {roles['owner']} may not rename 4 objects: " in message
    assert "sequence app.marathon_id_seq (no CREATE on schema app)" in message
    assert state(db.dsn).names == before


class _Standby:
    """A connection stand-in whose server says it is in recovery."""

    def execute(self, query: object) -> _Standby:
        assert query == session_state()
        return self

    def fetchone(self) -> tuple[bool, str]:
        return (True, "app")


def test_a_standby_is_refused_before_anything_else() -> None:
    with pytest.raises(SeqcheckError) as caught:
        check_preflight(_Standby(), [])  # type: ignore[arg-type]
    assert str(caught.value).startswith("the server is a read-only standby")


# -- verification -----------------------------------------------------------------


SNEAKY = """
create table bystander (id int);
create index bystander_idx on bystander (id);
create function sneaky() returns event_trigger language plpgsql as $$
begin
  if exists (select from pg_class where relname = 'bystander_idx') then
    alter index bystander_idx rename to bystander_moved;
  end if;
end $$;
create event trigger sneaky on ddl_command_end
  when tag in ('ALTER INDEX') execute function sneaky();
"""


def test_a_rename_the_plan_does_not_make_fails_verification(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY + SNEAKY)
    before = state(db.dsn).names
    found = scan(conn)
    with pytest.raises(SeqcheckError) as caught:
        apply_plan(conn, found.plan, catalog=found.catalog)
    message = str(caught.value)
    assert message.startswith("verification failed after the renames: ")
    assert (
        "relation public.bystander_idx is now named 'bystander_moved', not planned"
        in message
    )
    assert "rolled back, nothing was changed" in message
    assert state(db.dsn).names == before
