"""``fix --format sql`` batches as ``--apply`` does, and psql gets the same result.

Each test builds a schema, copies the database (``CREATE DATABASE … TEMPLATE``
keeps every OID), runs the script with the server's psql on one copy and
``fix --apply`` on the other, and compares every name by OID. A one-batch
script runs under ``psql -1 -f``; a several-batch one under ``psql -v
ON_ERROR_STOP=1 -f``, as its header says. On a server with a tiny lock table
the one-transaction script fails with ``out of shared memory`` and the
batched one does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from seqcheck.embedded import Server, start_server
from tests.cli_run import seqcheck
from tests.fix_server import TestDB, copy_database, psql, run_sql
from tests.test_apply import STORY, state
from tests.test_apply_batches import SMALL_LOCK_TABLE, THREE, build_many
from tests.test_cli import HOSTILE


def test_a_one_batch_script_under_psql_1_equals_apply(
    db: TestDB, twin: str, tmp_path: Path
) -> None:
    run_sql(db.dsn, STORY + HOSTILE)
    other = copy_database(db.server, db.name, twin)
    before = state(db.dsn).names
    assert state(other).names == before  # the same OIDs

    dry = seqcheck("fix", db.dsn, "--format", "sql")
    assert dry.code == 1, dry
    header = dry.out.splitlines()[0]
    assert header.endswith("in one transaction; run with psql -1 -f FILE")
    assert dry.out.count("\nBEGIN;\n") == dry.out.count("\nCOMMIT;\n") == 1
    script = tmp_path / "fix.sql"
    script.write_text(dry.out, encoding="utf-8")
    ran = psql(db.server, db.dsn, script, "-1", "-v", "ON_ERROR_STOP=1")
    assert ran.returncode == 0, ran.stderr

    assert seqcheck("fix", other, "--apply").code == 0
    assert state(db.dsn).names == state(other).names != before
    assert seqcheck("scan", db.dsn).code == 0


def test_a_batched_script_under_on_error_stop_equals_batched_apply(
    db: TestDB, twin: str, tmp_path: Path
) -> None:
    run_sql(db.dsn, STORY + THREE)
    other = copy_database(db.server, db.name, twin)

    dry = seqcheck("fix", db.dsn, "--format", "sql", "--batch", "3")
    assert dry.code == 1, dry
    header = dry.out.splitlines()[0]
    assert "renames in 4 transactions" in header
    assert "run with psql -v ON_ERROR_STOP=1 -f FILE, not -1" in header
    assert dry.out.count("\nBEGIN;\n") == dry.out.count("\nCOMMIT;\n") == 4
    assert dry.out.count("SET LOCAL lock_timeout = '2s';") == 4
    assert "\n-- batch 4 of 4: " in dry.out
    table = seqcheck("fix", db.dsn, "--batch", "3")
    assert " in 4 transactions (lock_timeout 2s)" in table.out
    assert "  -- batch 2 of 4\n" in table.out
    script = tmp_path / "fix.sql"
    script.write_text(dry.out, encoding="utf-8")
    ran = psql(db.server, db.dsn, script, "-v", "ON_ERROR_STOP=1")
    assert ran.returncode == 0, ran.stderr

    applied = seqcheck("fix", other, "--apply", "--batch", "3")
    assert applied.code == 0, applied
    assert " objects in 4 transactions (" in applied.out
    assert "each verified by a re-scan before commit" in applied.out
    assert state(db.dsn).names == state(other).names
    assert seqcheck("scan", db.dsn).code == 0


def test_scan_and_fix_print_the_same_batched_script(db: TestDB) -> None:
    run_sql(db.dsn, STORY)
    fix = seqcheck("fix", db.dsn, "--format", "sql")
    scan = seqcheck("scan", db.dsn, "--format", "sql")
    assert fix.out == scan.out


@pytest.fixture
def small(pg_server: Server) -> Iterator[Server]:
    with start_server(pg_server.bin_dir, settings=SMALL_LOCK_TABLE) as server:
        yield server


def test_on_a_tiny_lock_table_only_the_batched_script_runs(
    small: Server, tmp_path: Path
) -> None:
    with psycopg.connect(small.dsn(), autocommit=True) as conn:
        conn.execute("create database app")
    dsn = small.dsn("app")
    build_many(dsn)
    other = copy_database(small, "app", "twin")
    before = state(dsn).names

    whole = seqcheck("fix", dsn, "--format", "sql", "--batch", "100000")
    one = tmp_path / "one.sql"
    one.write_text(whole.out, encoding="utf-8")
    failed = psql(small, dsn, one, "-1", "-v", "ON_ERROR_STOP=1")
    assert failed.returncode != 0
    assert "out of shared memory" in failed.stderr
    assert state(dsn).names == before

    batched = seqcheck("fix", dsn, "--format", "sql")
    assert "psql -v ON_ERROR_STOP=1 -f FILE, not -1" in batched.out.splitlines()[0]
    script = tmp_path / "batched.sql"
    script.write_text(batched.out, encoding="utf-8")
    ran = psql(small, dsn, script, "-v", "ON_ERROR_STOP=1")
    assert ran.returncode == 0, ran.stderr

    applied = seqcheck("fix", other, "--apply")
    assert applied.code == 0, applied
    assert state(dsn).names == state(other).names != before
    assert seqcheck("scan", dsn).code == 0
