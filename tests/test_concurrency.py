"""``fix --apply`` against live traffic, held locks and SIGKILL, on real servers.

- Writers inserting through the renamed table (serial default, own
  connections, autocommit) during ``--apply`` lose no row and see no error.
- A session holding ``nextval`` or a table lock makes ``--apply`` time out,
  retry and give up with exit 2, naming it; nothing changed.
- SIGKILL while a batch waits for a lock, or at a random moment of a long
  batched run, leaves every batch entirely applied or not at all; a re-run
  finishes the job. OIDs, rows and sequence positions (``last_value``,
  ``is_called``) are as before.

Every loop is bounded in time.
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import sql as pgsql

from seqcheck.batches import Batch, split_plan
from seqcheck.connect import connect
from seqcheck.verify import renames
from tests.cli_run import CLI, cli_env, seqcheck
from tests.fix_server import TestDB, run_sql
from tests.test_apply import STORY, scan, state
from tests.test_cli import assert_error

WRITERS = 4
DEADLINE = 30.0  # seconds any wait in these tests may take


@dataclass
class Writers:
    """Threads inserting ``DEFAULT VALUES`` into *table* until stopped."""

    dsn: str
    table: str
    stop: threading.Event = field(default_factory=threading.Event)
    inserted: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def run(self) -> None:
        count = 0
        query = pgsql.SQL("insert into {} default values").format(
            pgsql.Identifier(self.table)
        )
        try:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                while not self.stop.is_set():
                    conn.execute(query)
                    count += 1
        except psycopg.Error as exc:
            self.errors.append(str(exc))
        finally:
            self.inserted.append(count)

    def __enter__(self) -> Writers:
        for _ in range(WRITERS):
            thread = threading.Thread(target=self.run, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(DEADLINE)


def positions(dsn: str) -> dict[int, tuple[int, bool]]:
    """Return ``(last_value, is_called)`` of every sequence, by OID."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        seqs = conn.execute(
            "select c.oid::int8, n.nspname, c.relname from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'S'"
        ).fetchall()
        found: dict[int, tuple[int, bool]] = {}
        for oid, schema, name in seqs:
            query = pgsql.SQL("select last_value, is_called from {}").format(
                pgsql.Identifier(schema, name)
            )
            row = conn.execute(query).fetchone()
            assert row is not None
            found[oid] = (int(row[0]), bool(row[1]))
    return found


def many_tables(dsn: str, count: int) -> None:
    """*count* renamed tables, a row each (so sequences are called)."""
    statements = []
    for n in range(count):
        statements += [
            f"create table old_{n:03} (id serial primary key, v int check (v > 0))",
            f"create index on old_{n:03} (v)",
            f"insert into old_{n:03} (v) values ({n + 1})",
            f"alter table old_{n:03} rename to new_{n:03}",
        ]
    run_sql(dsn, ";\n".join(statements))


def batches_of(dsn: str, statements: int) -> tuple[Batch, ...]:
    """Return the batches ``fix --apply --batch <statements>`` runs."""
    with connect(dsn) as conn:
        found = scan(conn)
    return split_plan(found.plan, found.catalog, statements=statements)


def applied(dsn: str, batch: Batch) -> bool | None:
    """Return whether all of *batch* is applied (``None``: only part of it)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        names = {
            int(oid): name
            for oid, name in conn.execute(
                "select oid::int8, relname::text from pg_class"
                " union all select oid::int8, conname::text from pg_constraint"
            )
        }
    done = [
        names.get(r.object_oid) == r.new
        for r in renames(batch.steps)
        if r.object_oid in names
    ]
    return True if all(done) else False if not any(done) else None


def seqcheck_backend(dsn: str) -> tuple[int, str] | None:
    """Return the pid and wait event type of seqcheck's session, if any."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "select pid, coalesce(wait_event_type, '') from pg_stat_activity"
            " where application_name = 'seqcheck' and datname = current_database()"
        ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def start_apply(dsn: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*CLI, "fix", dsn, "--apply", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )


@pytest.fixture
def story(db: TestDB) -> Iterator[TestDB]:
    run_sql(db.dsn, STORY)
    yield db


# -- writers --------------------------------------------------------------------


@pytest.mark.parametrize("batch", [[], ["--batch", "2"]], ids=["one", "batches"])
def test_writers_lose_nothing_and_see_no_error(story: TestDB, batch: list[str]) -> None:
    dsn = story.dsn
    rows_before = state(dsn).rows["snickers"]
    with Writers(dsn, "snickers") as writers:
        time.sleep(0.3)
        result = seqcheck("fix", dsn, "--apply", *batch)
        time.sleep(0.3)
    assert (result.code, result.err) == (0, ""), result
    assert writers.errors == []
    assert len(writers.inserted) == WRITERS
    inserted = sum(writers.inserted)
    assert inserted > 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        count, distinct, top = conn.execute(
            "select count(*), count(distinct id), max(id) from snickers"
        ).fetchone() or (0, 0, 0)
        last = conn.execute("select last_value from snickers_id_seq").fetchone()
    assert count == distinct == rows_before + inserted
    assert last is not None and last[0] >= top
    assert seqcheck("scan", dsn).code == 0


# -- a held lock -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hold", "mode"),
    [
        ("select nextval('marathon_id_seq')", "RowExclusiveLock"),
        ("lock table snickers in share mode", "ShareLock"),
    ],
    ids=["nextval", "table-lock"],
)
def test_a_held_lock_is_retried_then_given_up_with_nothing_changed(
    story: TestDB, hold: str, mode: str
) -> None:
    with psycopg.connect(story.dsn, application_name="long report") as other:
        other.execute(hold)  # nextval moves the sequence before the snapshot
        before = state(story.dsn)
        pid = other.info.backend_pid
        result = seqcheck(
            "fix", story.dsn, "--apply", "--lock-timeout", "200ms", "--retries", "2"
        )
        other.rollback()
    assert_error(
        result,
        "waited longer than lock_timeout (200ms) for a lock held by",
        f"pid {pid} (application_name 'long report'",
        f"holding {mode}",
        "(3 attempts)",
        "nothing was changed",
    )
    assert result.seconds >= 3 * 0.2 + 0.2 + 0.4  # pauses of 200 and 400 ms
    after = state(story.dsn)
    assert (after.names, after.rows, after.positions) == (
        before.names,
        before.rows,
        before.positions,
    )


# -- SIGKILL ---------------------------------------------------------------------


def assert_finished_as_before(dsn: str, names: Any, at: dict[int, Any]) -> None:
    """Re-run ``fix --apply``: clean, the same OIDs, rows and positions."""
    again = seqcheck("fix", dsn, "--apply")
    assert again.code == 0, again
    assert seqcheck("fix", dsn, "--apply").out == "Nothing to rename.\n"
    after = state(dsn)
    assert after.names.keys() == names.keys()
    assert positions(dsn) == at


def test_sigkill_while_a_batch_waits_leaves_whole_batches(db: TestDB) -> None:
    many_tables(db.dsn, 4)
    before, at = state(db.dsn), positions(db.dsn)
    batches = batches_of(db.dsn, 1)
    assert len(batches) == 4
    held = batches[2].steps[0].table
    with psycopg.connect(db.dsn) as other:
        other.execute(
            pgsql.SQL("lock table {} in access share mode").format(
                pgsql.Identifier(held)
            )
        )
        proc = start_apply(db.dsn, "--batch", "1", "--lock-timeout", "60s")
        try:
            wait_for(
                lambda: (seqcheck_backend(db.dsn) or (0, ""))[1] == "Lock",
                "seqcheck to wait for the lock",
            )
            # the two batches before the held one are committed by now
            assert [applied(db.dsn, b) for b in batches] == [True, True, False, False]
            proc.send_signal(signal.SIGKILL)
            proc.wait(DEADLINE)
        finally:
            proc.kill()
            proc.communicate()
        other.rollback()  # the orphaned session gets its lock, then finds no client
    wait_for(lambda: seqcheck_backend(db.dsn) is None, "the session to end")
    assert [applied(db.dsn, b) for b in batches] == [True, True, False, False]
    assert state(db.dsn).rows == before.rows
    assert_finished_as_before(db.dsn, before.names, at)


def test_sigkill_at_a_random_moment_leaves_whole_batches(db: TestDB) -> None:
    many_tables(db.dsn, 60)
    before, at = state(db.dsn), positions(db.dsn)
    batches = batches_of(db.dsn, 6)
    assert len(batches) >= 30
    proc = start_apply(db.dsn, "--batch", "6")
    try:
        wait_for(lambda: applied(db.dsn, batches[0]) is not False, "a first commit")
        time.sleep(random.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait(DEADLINE)
    finally:
        proc.kill()
        proc.communicate()
    wait_for(lambda: seqcheck_backend(db.dsn) is None, "the session to end")
    states = [applied(db.dsn, b) for b in batches]
    assert None not in states, states  # no batch half applied
    assert states[0] is True
    assert False in states, "the run ended before the kill"
    assert state(db.dsn).rows == before.rows
    assert_finished_as_before(db.dsn, before.names, at)
