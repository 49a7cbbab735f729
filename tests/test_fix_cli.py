"""``seqcheck fix`` end to end: the real command in a subprocess, real servers.

The dry run prints the plan and exits 1 when there is something to rename;
``--apply`` renames, verifies, commits and exits 0; a second run has nothing
to do. A lock held by another session makes ``--apply`` exit 2, naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.cli_run import seqcheck
from tests.fix_server import TestDB, run_sql
from tests.test_apply import STORY
from tests.test_cli import assert_error


@pytest.fixture
def story(db: TestDB) -> Iterator[TestDB]:
    run_sql(db.dsn, STORY)
    yield db


def test_dry_run_apply_and_again(story: TestDB) -> None:
    dsn = story.dsn
    dry = seqcheck("fix", dsn)
    assert (dry.code, dry.err) == (1, ""), dry
    assert "public.snickers (renamed from marathon)" in dry.out
    assert "in one transaction (lock_timeout 2s)" in dry.out
    assert "Rename script: seqcheck fix --format sql\n" in dry.out
    assert (
        '  ALTER SEQUENCE "public"."marathon_id_seq" RENAME TO "snickers_id_seq";\n'
        in dry.out
    )
    assert 'RENAME COLUMN "weight_g" TO "grams";' in dry.out
    assert seqcheck("scan", dsn).code == 1  # the dry run changed nothing

    applied = seqcheck("fix", dsn, "--apply")
    assert (applied.code, applied.err) == (0, ""), applied
    count = 8 if story.server.major >= 18 else 7
    assert applied.out.startswith(f"Renamed {count} objects in one transaction (")
    assert "public.marathon_id_seq" in applied.out
    assert "snickers_id_seq" in applied.out

    again = seqcheck("fix", dsn, "--apply")
    assert (again.code, again.out, again.err) == (0, "Nothing to rename.\n", "")
    dry = seqcheck("fix", dsn)
    assert dry.code == 0, dry
    assert dry.out.startswith("No drift in 2 tables.")
    assert dry.out.endswith("Nothing to rename.\n")
    scan = seqcheck("scan", dsn)
    assert (scan.code, scan.err) == (0, ""), scan


def test_sql_format_is_the_scan_script(story: TestDB) -> None:
    fix = seqcheck("fix", story.dsn, "--format", "sql")
    scan = seqcheck("scan", story.dsn, "--format", "sql")
    assert fix.code == 1 and scan.code == 1
    assert fix.out == scan.out
    quick = seqcheck("fix", story.dsn, "-f", "sql", "--lock-timeout", "250ms")
    assert "SET LOCAL lock_timeout = '250ms';" in quick.out


def test_json_format_and_output_file(story: TestDB, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = seqcheck("fix", story.dsn, "-f", "json", "-o", str(out))
    assert (result.code, result.out) == (1, "")
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert document["summary"]["findings"] >= 7


def test_keep_index_columns(story: TestDB) -> None:
    kept = seqcheck("fix", story.dsn, "--apply", "--keep-index-columns")
    assert kept.code == 0, kept
    assert "index-column" not in kept.out
    assert seqcheck("scan", story.dsn).code == 0  # index-column findings alone
    dry = seqcheck("fix", story.dsn)
    assert dry.code == 1
    assert 'RENAME COLUMN "weight_g" TO "grams";' in dry.out
    assert seqcheck("fix", story.dsn, "--keep-index-columns", "-q").code == 0


def test_quiet_apply(story: TestDB) -> None:
    result = seqcheck("fix", story.dsn, "--apply", "--quiet")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_a_held_lock_exits_2_naming_the_session(story: TestDB) -> None:
    with psycopg.connect(story.dsn, application_name="nightly report") as other:
        other.execute("lock table snickers in access share mode")
        pid = other.info.backend_pid
        result = seqcheck("fix", story.dsn, "--apply", "--lock-timeout", "200ms")
        assert_error(
            result,
            "waited longer than lock_timeout (200ms)",
            f"pid {pid} (application_name 'nightly report'",
            "idle in transaction",
            "nothing was changed",
        )
        other.rollback()
    assert seqcheck("fix", story.dsn).code == 1  # still all to do


def test_bad_lock_timeout_is_a_usage_error() -> None:
    assert_error(
        seqcheck("fix", "--lock-timeout", "soon"), "invalid --lock-timeout 'soon'"
    )
    assert_error(seqcheck("fix", "--nope"), "no such option: --nope", "fix --help")


def test_apply_json_reports_the_renames_and_what_is_left(
    story: TestDB, tmp_path: Path
) -> None:
    run_sql(
        story.dsn,
        "create table mars (id serial primary key, bar text);"
        " create function next_mars() returns bigint language sql"
        " as $$ select nextval('mars_id_seq') $$;"
        " alter table mars rename to twix",
    )
    out = tmp_path / "applied.json"
    result = seqcheck("fix", story.dsn, "--apply", "-f", "json", "-o", str(out))
    assert (result.code, result.out) == (1, ""), result  # mars_id_seq left
    assert "warning: not renaming public.mars_id_seq: named as text" in result.err
    document = json.loads(out.read_text(encoding="utf-8"))
    assert list(document)[:4] == ["version", "tool", "database", "applied"]
    applied = document["applied"]
    assert applied["transactions"] == 1
    renames = {(r["kind"], r["old"]): r["new"] for r in applied["renames"]}
    assert renames[("sequence", "marathon_id_seq")] == "snickers_id_seq"
    assert renames[("pkey", "mars_pkey")] == "twix_pkey"
    assert renames[("index-column", "weight_g")] == "grams"
    column = next(r for r in applied["renames"] if r["kind"] == "index-column")
    assert column["index"] and column["table"] == "snickers"
    assert applied["statements"] == len(applied["renames"])
    left = [f for t in document["tables"] for f in t["findings"]]
    assert [(f["name"], f["statement"]) for f in left] == [("mars_id_seq", None)]
    assert left[0]["text_references"][0]["kind"] == "function-body"
    assert document["summary"]["findings"] == 1
    again = seqcheck("fix", story.dsn, "--apply", "-f", "json")
    assert again.code == 1
    assert json.loads(again.out)["applied"]["renames"] == []


@pytest.mark.parametrize("fmt", ["sql", "alembic", "github", "junit", "sarif"])
def test_apply_refuses_a_script_or_ci_format(story: TestDB, fmt: str) -> None:
    assert_error(
        seqcheck("fix", story.dsn, "--apply", "-f", fmt),
        f"--apply reports what it renamed as a table or as json, not {fmt}",
        f"seqcheck fix --format {fmt} -o FILE",
    )
    assert seqcheck("fix", story.dsn).code == 1  # nothing was renamed
