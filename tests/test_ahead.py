"""Renames sent ahead (seqcheck.ahead) on real servers: kept, or rolled back and redone.

Each test scans with :func:`~seqcheck.pipeline.scan_connection` given the
server's lock table, as ``fix --apply`` does, so sure renames reach the
server while drift is judged, then ends the transaction with
:func:`~seqcheck.apply.apply_plan`. Whatever happens to the renames sent,
the end state is the plan's, verified, or nothing changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from seqcheck import apply
from seqcheck.ahead import Ahead
from seqcheck.apply import ApplyResult, apply_plan, read_lock_table
from seqcheck.batches import LockTable
from seqcheck.catalog import read_catalog
from seqcheck.connect import connect
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Finding, Tier
from seqcheck.pipeline import Scanned, scan_connection
from tests.fix_server import TestDB, run_sql
from tests.test_apply import STORY, State, state

# The story without its column rename, with statistics and a second table:
# plain tables only, so every rename can be sent ahead.
PLAIN = (
    STORY.replace("alter table snickers rename column weight_g to grams;", "")
    + """
create statistics marathon_name_weight_g_stat on name, weight_g from snickers;
create table bounty (id serial primary key, marathon_id int references snickers);
alter table bounty rename to twix;
"""
)


@pytest.fixture
def conn(db: TestDB) -> Iterator[psycopg.Connection[Any]]:
    with connect(db.dsn) as conn:
        yield conn


def scanned_ahead(conn: psycopg.Connection[Any]) -> Scanned:
    """Scan as ``fix --apply`` does: renames sent while drift is judged."""
    return scan_connection(conn, ahead=read_lock_table(conn))


def applied(conn: psycopg.Connection[Any], found: Scanned) -> ApplyResult:
    """Apply *found*'s plan, ending its transaction; the scan after is clean."""
    result = apply_plan(conn, found.plan, catalog=found.catalog, ahead=found.ahead)
    assert result.drift.findings == ()
    assert scan_connection(conn).drift.findings == ()
    return result


@pytest.fixture
def plain(db: TestDB, conn: psycopg.Connection[Any]) -> tuple[State, Scanned]:
    """:data:`PLAIN` built: its state, and its scan with renames sent ahead."""
    run_sql(db.dsn, PLAIN)
    before = state(db.dsn)
    found = scanned_ahead(conn)
    assert found.ahead is not None
    assert found.ahead.begun
    return before, found


def test_renames_sent_ahead_are_kept_and_verified(
    db: TestDB, conn: psycopg.Connection[Any], plain: tuple[State, Scanned]
) -> None:
    before, found = plain
    steps = found.plan.steps
    result = applied(conn, found)
    assert result.ahead == len(steps) >= 10
    assert result.forecast
    assert sorted(map(str, result.steps)) == sorted(map(str, steps))
    after = state(db.dsn)
    assert after.names.keys() == before.names.keys()  # the same OIDs
    assert (after.rows, after.positions) == (before.rows, before.positions)
    renamed = {before.names[k]: after.names[k] for k in before.names}
    assert renamed["marathon_pkey"] == "snickers_pkey"
    assert renamed["marathon_name_weight_g_stat"] == "snickers_name_weight_g_stat"
    assert renamed["bounty_marathon_id_fkey"] == "twix_marathon_id_fkey"


def test_the_names_after_the_renames_sent_are_read_while_apply_starts(
    db: TestDB,
    conn: psycopg.Connection[Any],
    plain: tuple[State, Scanned],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The plan is the renames sent: ahead's thread reads the names after them."""
    _, found = plain
    assert found.ahead is not None
    reads: list[object] = []
    monkeypatch.setattr(apply, "read_names", reads.append)
    result = applied(conn, found)
    assert result.ahead == len(found.plan.steps) and result.forecast
    assert reads == []  # apply read none itself


def test_names_read_ahead_that_are_not_the_forecast_roll_it_all_back(
    db: TestDB, conn: psycopg.Connection[Any], plain: tuple[State, Scanned]
) -> None:
    """As if an object had changed meanwhile: rolled back, then the plan runs."""
    before, found = plain
    assert found.ahead is not None
    sent = found.ahead.finish()
    names = found.ahead.names_after
    assert sent is not None and names
    names.discard(next(iter(names)))
    result = applied(conn, found)
    assert result.ahead == 0
    after = state(db.dsn)
    assert after.names.keys() == before.names.keys()
    renamed = {before.names[k]: after.names[k] for k in before.names}
    assert renamed["marathon_pkey"] == "snickers_pkey"


def test_a_rename_sent_that_the_plan_does_not_make_is_rolled_back(
    db: TestDB, conn: psycopg.Connection[Any], plain: tuple[State, Scanned]
) -> None:
    before, found = plain
    assert found.ahead is not None
    # A guess the plan contradicts: the primary key, renamed ahead already,
    # on to a name of no default.
    key = next(f for f in found.drift.findings if f.name == "marathon_pkey")
    found.ahead.guess(key._replace(name=key.expected, expected="not_the_plans"))
    sent = found.ahead.finish()
    assert sent is not None
    assert "not_the_plans" in {step.new for step in sent}  # and it ran
    result = applied(conn, found)
    assert result.ahead == 0  # rolled back, then the plan ran as without it
    after = state(db.dsn)
    assert "not_the_plans" not in after.names.values()
    assert after.names.keys() == before.names.keys()


@pytest.fixture
def holder(db: TestDB) -> Iterator[psycopg.Connection[Any]]:
    """A session named ``long report`` holding a SHARE lock on the story's table."""
    run_sql(db.dsn, STORY)
    with psycopg.connect(db.dsn, application_name="long report") as other:
        other.execute("lock table snickers in share mode")
        yield other
        other.rollback()


def test_a_lock_held_a_moment_makes_ahead_give_up_and_the_plan_wait(
    holder: psycopg.Connection[Any], conn: psycopg.Connection[Any]
) -> None:
    found = scanned_ahead(conn)
    assert found.ahead is not None
    assert found.ahead.finish() is None  # gave up waiting for the lock
    release = threading.Timer(0.3, holder.rollback)
    release.start()
    started = time.monotonic()
    result = applied(conn, found)
    release.join()
    assert time.monotonic() - started >= 0.25  # the plan waited for the lock
    assert result.ahead == 0


def test_a_held_lock_ends_in_the_plans_error_with_nothing_changed(
    db: TestDB, holder: psycopg.Connection[Any], conn: psycopg.Connection[Any]
) -> None:
    before = state(db.dsn)
    found = scanned_ahead(conn)
    with pytest.raises(SeqcheckError) as caught:
        apply_plan(
            conn,
            found.plan,
            catalog=found.catalog,
            ahead=found.ahead,
            lock_timeout_ms=100,
            retries=0,
        )
    assert f"pid {holder.info.backend_pid} (application_name 'long report'" in str(
        caught.value
    )
    assert "nothing was changed" in str(caught.value.hint)
    assert state(db.dsn) == before


def test_renames_sent_are_rolled_back_when_apply_never_runs(
    db: TestDB, conn: psycopg.Connection[Any], plain: tuple[State, Scanned]
) -> None:
    before, found = plain
    assert found.ahead is not None
    assert found.ahead.finish()  # renames ran, in a transaction left open
    found.ahead.close()
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert state(db.dsn) == before
    assert scan_connection(conn).drift.findings == found.drift.findings


def test_no_ahead_where_it_cannot_help(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, PLAIN)

    def start(table: LockTable) -> Ahead | None:
        return Ahead.start(
            conn,
            read_catalog(conn),
            tiers={Tier.CERTAIN, Tier.LIKELY},
            lock_table=table,
            statement_timeout_ms=1000,
        )

    roomy = read_lock_table(conn)
    assert start(roomy) is not None
    assert start(LockTable(1, 1, 0)) is None  # fewer locks than objects
    with conn.transaction():  # a transaction already open
        assert start(roomy) is None
    # An object named as text: its rename is refused, so none goes ahead.
    run_sql(
        db.dsn,
        "create function next_id() returns bigint language sql"
        " as $$ select nextval('marathon_id_seq') $$",
    )
    assert start(roomy) is None


def test_findings_left_out_are_not_sent(
    db: TestDB, conn: psycopg.Connection[Any]
) -> None:
    run_sql(db.dsn, PLAIN)

    def ignored(finding: Finding) -> bool:
        return finding.table == "twix"

    found = scan_connection(conn, ahead=read_lock_table(conn), drop=ignored)
    assert found.ahead is not None
    sent = found.ahead.finish()
    assert sent
    assert all(step.table != "twix" for step in sent)
    assert {s.finding.table for s in sent} == {"snickers"}
    found.ahead.close()
