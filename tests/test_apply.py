"""apply_plan on real servers: renames commit only when verified, nothing else moves.

Each story is scanned and planned with the library, applied, and re-scanned:
the re-scan is clean, and OIDs, row counts and sequence positions are as they
were. A lock held by another session, a statement that fails and a plan that
does not fix its findings each roll everything back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from seqcheck import apply, forecast
from seqcheck.ahead import read_names
from seqcheck.apply import ApplyResult, apply_plan
from seqcheck.connect import connect
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind
from seqcheck.pipeline import Scanned, scan_connection
from seqcheck.plan import Phase, Plan
from seqcheck.statements import statement_bytes
from seqcheck.verify import Names
from tests.fix_server import TestDB, run_sql
from tests.test_cli import HOSTILE

STORY = """
create table owner (id serial primary key, name text);
create table marathon (
    id serial primary key,
    name text unique,
    weight_g int check (weight_g > 0),
    owner_id int references owner
);
create index on marathon (owner_id, weight_g);
insert into owner (name) values ('Mars');
insert into marathon (name, weight_g, owner_id)
values ('classic', 58, 1), ('duo', 83, 1), ('mini', 15, 1);
alter table marathon rename to snickers;
alter table snickers rename column weight_g to grams;
"""

SWAP = """
create table a (id serial primary key, x int unique);
create table b (id serial primary key, x int unique);
insert into a (x) select g from generate_series(1, 5) g;
insert into b (x) select g from generate_series(1, 7) g;
alter table a rename to tmp;
alter table b rename to a;
alter table tmp rename to b;
"""

# Every named object seqcheck may rename, by OID, with its name: relations
# (sequences, indexes, tables), constraints, statistics, and index columns.
STATE = """
select 'class', c.oid::int8, 0, c.relname::text from pg_class c
 join pg_namespace n on n.oid = c.relnamespace
 where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
   and n.nspname !~ '^pg_temp'
union all
select 'constraint', o.oid::int8, 0, o.conname::text from pg_constraint o
 join pg_namespace n on n.oid = o.connamespace
 where n.nspname not in ('pg_catalog', 'information_schema')
union all
select 'statistics', s.oid::int8, 0, s.stxname::text from pg_statistic_ext s
union all
select 'column', a.attrelid::int8, a.attnum::int4, a.attname::text
 from pg_attribute a join pg_class c on c.oid = a.attrelid
 join pg_namespace n on n.oid = c.relnamespace
 where c.relkind = 'i' and a.attnum > 0
   and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
"""


@dataclasses.dataclass(frozen=True)
class State:
    """What a rename must not change (OIDs, rows, positions) and what it may."""

    names: dict[tuple[str, int, int], str]
    rows: dict[str, int]
    positions: dict[int, int | None]


def state(dsn: str) -> State:
    with psycopg.connect(dsn, autocommit=True) as conn:
        names = {
            (space, oid, sub): name for space, oid, sub, name in conn.execute(STATE)
        }
        tables = conn.execute(
            "select c.oid::regclass::text from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where c.relkind = 'r' and n.nspname not like 'pg\\_%'"
            " and n.nspname <> 'information_schema'"
        ).fetchall()
        rows = {
            t: int(conn.execute(f"select count(*) from {t}").fetchone()[0])  # type: ignore[index]
            for (t,) in tables
        }
        positions = {
            int(oid): last
            for oid, last in conn.execute(
                "select c.oid, s.last_value from pg_sequences s"
                " join pg_class c on c.relname = s.sequencename"
                " join pg_namespace n on n.oid = c.relnamespace"
                " and n.nspname = s.schemaname"
            )
        }
    return State(names, rows, positions)


def scan(conn: psycopg.Connection[Any]) -> Scanned:
    return scan_connection(conn)


@pytest.fixture
def conn(db: TestDB) -> Iterator[psycopg.Connection[Any]]:
    with connect(db.dsn) as conn:
        yield conn


@pytest.fixture
def blocker(db: TestDB) -> Iterator[psycopg.Connection[Any]]:
    """A second session, named ``blocker``, whose transaction the test opens."""
    with psycopg.connect(db.dsn, application_name="blocker") as other:
        yield other
        other.rollback()


def apply_and_check(db: TestDB, conn: psycopg.Connection[Any]) -> ApplyResult:
    """Apply the plan; assert a clean re-scan and unchanged OIDs, rows, positions."""
    before = state(db.dsn)
    found = scan(conn)
    assert found.plan.steps, "nothing to apply"
    result = apply_plan(conn, found.plan)
    assert result.steps == found.plan.steps
    assert result.drift.findings == ()
    assert scan(conn).drift.findings == ()
    after = state(db.dsn)
    assert after.names.keys() == before.names.keys()  # the same OIDs
    assert after.rows == before.rows
    assert after.positions == before.positions
    # Exactly the planned names changed, each from its old name to its new one.
    changed = {
        (key[0] == "column", old, after.names[key])
        for key, old in before.names.items()
        if after.names[key] != old
    }
    planned = {(r.kind is Kind.INDEX_COLUMN, r.old, r.new) for r in result.renames}
    assert changed == planned
    return result


def test_marathon_story(db: TestDB, conn: psycopg.Connection[Any]) -> None:
    run_sql(db.dsn, STORY)
    result = apply_and_check(db, conn)
    renamed = {r.old: r.new for r in result.renames}
    assert renamed["marathon_id_seq"] == "snickers_id_seq"
    assert renamed["marathon_pkey"] == "snickers_pkey"
    assert renamed["marathon_weight_g_check"] == "snickers_grams_check"
    assert renamed["weight_g"] == "grams"  # the index column
    assert len(result.renames) == (8 if db.server.major >= 18 else 7)
    serial = conn.execute("select pg_get_serial_sequence('snickers', 'id')")
    assert serial.fetchone() == ("public.snickers_id_seq",)
    assert conn.execute("select nextval('snickers_id_seq')").fetchone() == (4,)


def test_swap_goes_through_temporary_names(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, SWAP)
    assert any(s.phase is Phase.TO_TEMP for s in scan(conn).plan.steps)
    result = apply_and_check(db, conn)
    renamed = {r.old: r.new for r in result.renames}
    assert renamed["a_pkey"] == "b_pkey" and renamed["b_pkey"] == "a_pkey"
    assert not any("_seqcheck_tmp" in r.new for r in result.renames)


def test_hostile_names(db: TestDB, conn: psycopg.Connection[Any]) -> None:
    run_sql(db.dsn, HOSTILE)
    apply_and_check(db, conn)


def test_keep_index_columns_leaves_them(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY)
    found = scan_connection(conn, keep_index_columns=True)
    result = apply_plan(conn, found.plan)
    assert [f.kind for f in result.drift.findings] == [Kind.INDEX_COLUMN]
    assert all(r.kind is not Kind.INDEX_COLUMN for r in result.renames)


def test_nothing_to_do(db: TestDB, conn: psycopg.Connection[Any]) -> None:
    run_sql(db.dsn, "create table t (id serial primary key)")
    result = apply_plan(conn, scan(conn).plan)
    assert (result.steps, result.renames, result.drift.findings) == ((), (), ())


def test_connection_settings_are_restored(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY)
    found = scan(conn)  # the snapshot leaves the connection read-only
    assert conn.read_only is True
    apply_plan(conn, found.plan)
    assert conn.read_only is True
    assert conn.info.transaction_status is psycopg.pq.TransactionStatus.IDLE


def assert_blocked(
    db: TestDB, conn: psycopg.Connection[Any], blocker: psycopg.Connection[Any]
) -> str:
    """Assert apply fails, naming *blocker*, and that nothing was renamed."""
    before = state(db.dsn).names
    plan = scan(conn).plan
    with pytest.raises(SeqcheckError) as caught:
        apply_plan(conn, plan, lock_timeout_ms=300)
    message = str(caught.value)
    assert "lock_timeout (300ms)" in message
    assert f"pid {blocker.info.backend_pid} (" in message
    assert "application_name 'blocker'" in message
    assert "idle in transaction" in message
    assert "nothing was changed" in message
    assert state(db.dsn).names == before
    return message


def test_a_table_lock_blocks_and_names_the_session(
    db: TestDB, conn: psycopg.Connection[Any], blocker: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY)
    blocker.execute("lock table snickers in access share mode")
    message = assert_blocked(db, conn, blocker)
    assert "holding AccessShareLock" in message
    blocker.rollback()
    apply_and_check(db, conn)


def test_nextval_in_an_open_transaction_blocks_the_sequence_rename(
    db: TestDB, conn: psycopg.Connection[Any], blocker: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY)
    blocker.execute("select nextval('marathon_id_seq')")
    message = assert_blocked(db, conn, blocker)
    assert "renaming sequence public.marathon_id_seq" in message
    assert "holding RowExclusiveLock" in message


def test_a_failing_statement_rolls_back_every_rename(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY)
    plan = scan(conn).plan
    # The schema changes after the scan: a rename halfway through the plan fails.
    check = next(s for s in plan.steps if s.kind is Kind.CHECK)
    assert plan.steps.index(check) > 0
    run_sql(db.dsn, f"alter table snickers rename constraint {check.old} to moved")
    before = state(db.dsn).names
    with pytest.raises(SeqcheckError) as caught:
        apply_plan(conn, plan)
    message = str(caught.value)
    assert message.startswith(
        "could not rename check public.marathon_weight_g_check"
        " to snickers_grams_check: constraint"
    )
    assert "nothing was changed" in message
    assert state(db.dsn).names == before


def test_a_plan_that_misses_its_target_is_rolled_back(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, STORY)
    plan = scan(conn).plan
    wrong = [
        dataclasses.replace(s, new="marathon_id_seq1") if s.kind is Kind.SEQUENCE else s
        for s in plan.steps
    ]
    before = state(db.dsn).names
    with pytest.raises(SeqcheckError) as caught:
        apply_plan(conn, Plan(tuple(wrong)))
    message = str(caught.value)
    assert message.startswith("verification failed after the renames: still reported:")
    assert "'marathon_id_seq1' should be 'snickers_id_seq'" in message
    assert "rolled back" in message
    assert state(db.dsn).names == before


def test_the_forecast_judges_the_drift_after(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    """With the scan's catalog, the last batch's drift is forecast in a child."""
    run_sql(db.dsn, STORY)
    found = scan(conn)
    result = apply_plan(conn, found.plan, catalog=found.catalog)
    assert result.renames and result.drift.findings == ()
    assert scan(conn).drift.findings == ()


def _broken(*args: object) -> None:
    raise RuntimeError("killed")


@pytest.mark.parametrize(
    ("part", "events"),
    [
        # the drift forecast fails: the catalog is read again and judged
        ("_judged_after", ["renames", "names"]),
        # the names forecast fails: the batch runs between two reads
        ("expected", ["renames", "names", "names", "renames", "names"]),
        # the catalog after the plan is not forecast: neither is either
        ("predicted", ["renames", "names", "names", "renames", "names"]),
    ],
)
def test_a_failed_forecast_is_no_failure(
    db: TestDB,
    conn: psycopg.Connection[Any],
    monkeypatch: pytest.MonkeyPatch,
    part: str,
    events: list[str],
) -> None:
    monkeypatch.setattr(forecast, part, _broken)
    run_sql(db.dsn, STORY)
    found = scan(conn)
    reads = _count_name_reads(monkeypatch)
    result = apply_plan(conn, found.plan, catalog=found.catalog)
    assert result.renames and result.drift.findings == ()
    assert reads == events
    assert result.forecast is (part == "_judged_after")
    assert scan(conn).drift.findings == ()


def test_a_change_since_the_scan_is_judged_not_forecast(
    db: TestDB, conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renamed after the scan: the forecast is not the server's drift.

    The names after the renames are not the forecast's, so the batch is
    rolled back and run again between two reads of the names.
    """
    run_sql(db.dsn, STORY)
    found = scan(conn)
    run_sql(
        db.dsn,
        "create table mars (id serial primary key); alter table mars rename to twix",
    )
    reads = _count_name_reads(monkeypatch)
    result = apply_plan(conn, found.plan, catalog=found.catalog)
    names = {f.name for f in result.drift.findings}
    assert names == {"mars_id_seq", "mars_pkey"} | (
        {"mars_id_not_null"} if db.server.major >= 18 else set()
    )
    assert not result.forecast
    assert reads == ["renames", "names", "names", "renames", "names"]


def test_one_batch_reads_the_names_once(
    db: TestDB, conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One batch: the names after it are the forecast's; none are read before."""
    run_sql(db.dsn, STORY + SWAP)
    found = scan(conn)
    reads = _count_name_reads(monkeypatch)
    result = apply_plan(conn, found.plan, catalog=found.catalog)
    assert result.forecast and result.renames and result.drift.findings == ()
    assert reads == ["renames", "names"]
    assert scan(conn).drift.findings == ()


def _count_name_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record, in order, apply's reads of every name and its runs of renames."""
    events: list[str] = []
    read, execute = read_names, apply._execute

    def names(conn: psycopg.Connection[Any]) -> Names:
        events.append("names")
        return read(conn)

    def renames(*args: Any, **kwargs: Any) -> None:
        events.append("renames")
        execute(*args, **kwargs)

    monkeypatch.setattr(apply, "read_names", names)
    monkeypatch.setattr(apply, "_execute", renames)
    return events


def test_utf8_statements_need_no_connection(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    """In UTF-8, psycopg quotes as libpq does: the renames' text is made apart."""
    run_sql(db.dsn, HOSTILE)
    steps = scan(conn).plan.steps
    assert conn.info.encoding == "utf-8"
    named = "".join(f"{s.schema}{s.table}{s.old}{s.new}" for s in steps)
    assert '"' in named and "😀" in named and "é" in named
    assert statement_bytes(steps) == statement_bytes(steps, conn)
