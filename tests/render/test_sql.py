"""The sql format: the plan's script, comments that no name can break."""

from __future__ import annotations

from seqcheck.render import FORMATS
from tests.render.hostile import hostile_report, match_snapshot


def test_snapshot() -> None:
    match_snapshot("hostile.sql", FORMATS["sql"](hostile_report()))


def test_statements_in_plan_order_inside_one_transaction() -> None:
    report = hostile_report()
    text = FORMATS["sql"](report)
    assert text.count("BEGIN;") == 1 and text.endswith("COMMIT;\n")
    positions = [text.index(f' TO "{s.new}";') for s in report.plan.steps]
    assert positions == sorted(positions)
    assert "b_pkey_seqcheck_tmp" in text


def test_every_comment_is_one_line() -> None:
    text = FORMATS["sql"](hostile_report())
    statements = text.count(";\n")
    comments = [line for line in text.splitlines() if line.startswith("-- ")]
    # Header, then one per statement except SET client_encoding, BEGIN, SET, COMMIT.
    assert len(comments) == 1 + statements - 4
    for line in comments:
        assert "\x1b" not in line
    assert "-- pkey 'Mara\\nthon_pkey' should be" in text


def test_clean() -> None:
    assert (
        FORMATS["sql"](hostile_report(clean=True)) == "-- seqcheck: nothing to rename\n"
    )
