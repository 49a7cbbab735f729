"""Statements: every step kind, quoting, comments and the script (pure)."""

from __future__ import annotations

from psycopg import sql

from seqcheck.findings import Finding, Kind
from seqcheck.plan import Plan, make_plan
from seqcheck.statements import (
    as_text,
    comment,
    quoted_names,
    script,
    set_lock_timeout,
    statement,
    statement_bytes,
)
from tests.builders import catalog_for, drift_of, finding, index_column


def plan_of(*found: Finding, columns: dict[int, tuple[str, ...]] | None = None) -> Plan:
    return make_plan(drift_of(found), catalog_for(found, columns=columns))


def text_of(*found: Finding) -> list[str]:
    return [as_text(statement(step)) for step in plan_of(*found).steps]


def test_each_kind_gets_its_statement() -> None:
    cases = {
        Kind.SEQUENCE: 'ALTER SEQUENCE "s"."old" RENAME TO "new"',
        Kind.PKEY: 'ALTER INDEX "s"."old" RENAME TO "new"',
        Kind.UNIQUE: 'ALTER INDEX "s"."old" RENAME TO "new"',
        Kind.EXCLUSION: 'ALTER INDEX "s"."old" RENAME TO "new"',
        Kind.INDEX: 'ALTER INDEX "s"."old" RENAME TO "new"',
        Kind.FKEY: 'ALTER TABLE "s"."tab" RENAME CONSTRAINT "old" TO "new"',
        Kind.CHECK: 'ALTER TABLE "s"."tab" RENAME CONSTRAINT "old" TO "new"',
        Kind.NOT_NULL: 'ALTER TABLE "s"."tab" RENAME CONSTRAINT "old" TO "new"',
        Kind.STATISTICS: 'ALTER STATISTICS "s"."old" RENAME TO "new"',
        Kind.DOMAIN: 'ALTER DOMAIN "s"."tab" RENAME CONSTRAINT "old" TO "new"',
    }
    for kind, want in cases.items():
        assert text_of(finding(kind, "old", "new", table="tab", schema="s")) == [want]


def test_index_column_renames_name_the_index_as_the_plan_left_it() -> None:
    index = finding(Kind.INDEX, "t_a_idx", "t_b_idx", schema="s")
    column = index_column(index, "a", "b", schema="s")
    plan = plan_of(index, column, columns={index.object_oid: ("a",)})
    assert [as_text(statement(s)) for s in plan.steps] == [
        'ALTER INDEX "s"."t_a_idx" RENAME TO "t_b_idx"',
        'ALTER TABLE "s"."t_b_idx" RENAME COLUMN "a" TO "b"',
    ]


def test_identifiers_are_quoted_with_quotes_doubled() -> None:
    hostile = finding(
        Kind.CHECK, 'a "b"\nc', "😀,%:x", table='T "1"', schema="My Schema"
    )
    assert text_of(hostile) == [
        'ALTER TABLE "My Schema"."T ""1""" RENAME CONSTRAINT "a ""b""\nc" TO "😀,%:x"'
    ]


def test_lock_timeout_is_a_quoted_literal() -> None:
    assert as_text(set_lock_timeout("2s")) == "SET LOCAL lock_timeout = '2s'"
    evil = as_text(set_lock_timeout("1s'; DROP TABLE x; --"))
    assert evil == "SET LOCAL lock_timeout = '1s''; DROP TABLE x; --'"


def test_comment_escapes_line_breaks_and_controls() -> None:
    line = comment("a\nb\rc\x1b[31md\u2028e\\f")
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line == "-- a\\nb\\rc\\u001b[31md\\u2028e\\f"


def test_script_is_one_transaction_with_a_comment_per_statement() -> None:
    found = (
        finding(Kind.SEQUENCE, "marathon_id_seq", "snickers_id_seq", table="snickers"),
        finding(Kind.PKEY, "marathon\npkey", "snickers_pkey", table="snickers"),
    )
    text = script(plan_of(*found))
    lines = text.splitlines()
    assert lines[1:4] == [
        "SET client_encoding = 'UTF8';",
        "BEGIN;",
        "SET LOCAL lock_timeout = '2s';",
    ]
    assert lines[-1] == "COMMIT;"
    comments = [line for line in lines if line.startswith("--")]
    assert len(comments) == 3  # the header and one per statement
    assert 'ALTER INDEX "public"."marathon\npkey" RENAME TO "snickers_pkey";' in text
    assert text.endswith("COMMIT;\n")


def test_script_takes_the_lock_timeout() -> None:
    plan = plan_of(finding(Kind.INDEX, "a_idx", "b_idx"))
    assert "SET LOCAL lock_timeout = '500ms';" in script(plan, lock_timeout="500ms")


def test_an_empty_plan_is_a_comment() -> None:
    assert script(plan_of()) == "-- seqcheck: nothing to rename\n"


def test_statement_bytes_are_the_statements_text() -> None:
    hostile = finding(
        Kind.CHECK, 'a "b"\nc', '😀,%:x"."', table='T "1"', schema="My.Schema"
    )
    index = finding(Kind.INDEX, "t_a_idx", 't_"b"_idx', schema='s"')
    column = index_column(index, 'a".', "b", schema='s"')
    found = (hostile, index, column, finding(Kind.SEQUENCE, "q", "r", schema="s"))
    plan = plan_of(*found, columns={index.object_oid: ('a".',)})
    assert statement_bytes(plan.steps) == [
        as_text(statement(step)).encode() for step in plan.steps
    ]
    assert statement_bytes(()) == []


def test_quoted_names_quote_each_name_as_an_identifier() -> None:
    names = ['"', '""', ".", '"."', "a b", "x\ny", "é", 'end"']
    assert quoted_names(names) == {
        n: as_text(sql.Identifier(n)).encode() for n in names
    }
