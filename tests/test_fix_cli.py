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
