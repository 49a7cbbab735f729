"""``fix --format sql --reverse``: the undo script restores every name, with psql.

Each test writes the forward script and the undo script from the same plan,
runs the forward one with the server's own psql (the scan is then clean),
then the undo one, and compares every name, OID, row count and sequence
position with the state before: all equal. Swaps and chains go through
temporary names both ways; a plan cut in several transactions (``--batch``)
is undone batch by batch, last first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_run import seqcheck
from tests.fix_server import TestDB, psql_ok, run_sql
from tests.test_apply import STORY, SWAP, state
from tests.test_cli import HOSTILE, assert_error

CHAIN = """
create table a (id serial primary key, v int unique);
create table b (id serial primary key, v int unique);
create table c (id serial primary key, v int unique);
alter table c rename to d;
alter table b rename to c;
alter table a rename to b;
"""


@pytest.mark.parametrize(
    ("schema", "batch"),
    [(STORY, None), (SWAP, None), (CHAIN, None), (HOSTILE, None), (HOSTILE, "2")],
    ids=["story", "swap", "chain", "hostile", "hostile-batches"],
)
def test_forward_then_reverse_restores_every_name(
    db: TestDB, tmp_path: Path, schema: str, batch: str | None
) -> None:
    run_sql(db.dsn, schema)
    before = state(db.dsn)
    forward, undo = tmp_path / "fix.sql", tmp_path / "undo.sql"
    extra = ("--batch", batch) if batch else ()
    written = seqcheck("fix", db.dsn, "-f", "sql", *extra, "-o", str(forward))
    assert (written.code, written.err) == (1, ""), written
    written = seqcheck("fix", db.dsn, "-f", "sql", "--reverse", *extra, "-o", str(undo))
    assert (written.code, written.err) == (1, ""), written
    text = undo.read_text(encoding="utf-8")
    assert text.startswith("-- seqcheck fix --reverse: undoes the renames")
    forward_text = forward.read_text(encoding="utf-8")
    assert text.count("BEGIN;") == forward_text.count("BEGIN;")
    if batch:
        assert text.count("BEGIN;") > 1
    one = () if batch else ("-1",)

    psql_ok(db.server, db.dsn, forward, *one)
    fixed = state(db.dsn)
    assert fixed.names != before.names
    assert seqcheck("scan", db.dsn).code == 0

    psql_ok(db.server, db.dsn, undo, *one)
    assert state(db.dsn) == before
    again = seqcheck("fix", db.dsn, "-f", "sql", *extra)
    assert again.out == forward_text  # the same plan as before the round trip


def test_the_undo_script_reads_as_an_undo(db: TestDB) -> None:
    run_sql(db.dsn, SWAP)
    text = seqcheck("fix", db.dsn, "-f", "sql", "--reverse").out
    lines = [line for line in text.splitlines() if line.startswith("ALTER")]
    forward = seqcheck("fix", db.dsn, "-f", "sql").out
    steps = [line for line in forward.splitlines() if line.startswith("ALTER")]
    assert len(lines) == len(steps)
    assert "-- undo: pkey 'a_pkey' back to 'b_pkey'" in text
    assert "[from temporary name]" in text and "[to temporary name]" in text


def test_nothing_to_undo(db: TestDB) -> None:
    run_sql(db.dsn, "create table t (id serial primary key)")
    result = seqcheck("fix", db.dsn, "-f", "sql", "--reverse")
    assert (result.code, result.err) == (0, "")
    assert result.out == "-- seqcheck: nothing to rename, nothing to undo\n"


def test_reverse_needs_the_sql_format() -> None:
    assert_error(seqcheck("fix", "--reverse"), "--reverse", "needs --format sql")
    assert_error(
        seqcheck("fix", "--apply", "--reverse", "-f", "sql"), "needs --format sql"
    )
    assert_error(
        seqcheck("fix", "--revision", "abc"), "--revision", "needs --format alembic"
    )
    assert_error(
        seqcheck("fix", "-f", "sql", "--down-revision", "abc"),
        "--down-revision",
        "needs --format alembic",
    )
