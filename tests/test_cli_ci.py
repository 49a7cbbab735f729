"""CI use end to end: report formats, config files and baselines on real servers.

The command runs in a subprocess, as in a CI job. Each format is checked on
the marathon → snickers story and on a larger drifted schema, against the
JSON report of the same database: SARIF validated against the OASIS schema,
JUnit parsed with junitparser, annotations parsed as the Actions runner does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml, TestSuite

from tests.cli_run import seqcheck
from tests.fix_server import TestDB, run_sql
from tests.render.test_github import parse
from tests.render.test_sarif import validate
from tests.test_cli import MARATHON, assert_error

RENAMED = 50
CLEAN = 20
# Options and files, not the server, are under test: one version is enough.
ONE_VERSION = pytest.mark.pg(">=18")


def large_schema() -> str:
    """Return DDL for RENAMED drifted tables (each refers to the one before).

    Every fifth table has a column renamed too (stale index column names).
    """
    parts = []
    for n in range(RENAMED):
        ref = f", parent int REFERENCES old_{n - 1}" if n else ""
        parts.append(
            f"CREATE TABLE old_{n} (id serial PRIMARY KEY,"
            f" code text UNIQUE, qty int CHECK (qty > 0){ref});"
            f" CREATE INDEX ON old_{n} (qty);"
        )
    parts += [f"CREATE TABLE clean_{n} (id serial PRIMARY KEY);" for n in range(CLEAN)]
    parts += [f"ALTER TABLE old_{n} RENAME TO new_{n};" for n in range(RENAMED)]
    parts += [
        f"ALTER TABLE new_{n} RENAME COLUMN qty TO amount;"
        for n in range(0, RENAMED, 5)
    ]
    return "\n".join(parts)


def findings_of(dsn: str, *args: str) -> list[dict[str, Any]]:
    """Return every finding of the JSON report, each with its schema and table."""
    result = seqcheck("scan", dsn, "-f", "json", *args)
    assert result.code in (0, 1), result
    return [
        {**f, "schema": t["schema"], "table": t["table"]}
        for t in json.loads(result.out)["tables"]
        for f in t["findings"]
    ]


def names(found: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(f["table"], f["kind"], f["name"]) for f in found}


def junit_suite(text: str) -> TestSuite:
    xml = JUnitXml.fromstring(text)
    (suite,) = list(xml) if isinstance(xml, JUnitXml) else [xml]
    assert isinstance(suite, TestSuite)
    return suite


# -- formats ------------------------------------------------------------------


@pytest.mark.parametrize("story", ["marathon", "large"])
def test_github_annotations_and_step_summary(
    db: TestDB, tmp_path: Path, story: str
) -> None:
    run_sql(db.dsn, MARATHON if story == "marathon" else large_schema())
    expected = findings_of(db.dsn)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    result = seqcheck("scan", db.dsn, "--format", "github", env=env)
    assert (result.code, result.err) == (1, ""), result
    lines = result.out.splitlines()
    annotations = [parse(line) for line in lines[:-1]]
    assert len(annotations) == len(expected)
    levels = [level for level, _, _ in annotations]
    assert levels.count("notice") == sum(f["tier"] == "index-column" for f in expected)
    assert set(levels) == {"error", "notice"}
    for (_, properties, message), found in zip(annotations, expected, strict=True):
        assert properties["title"].startswith(f"{found['code']} ")
        assert properties["title"].endswith(f" on public.{found['table']}")
        assert found["name"].partition(".")[0] in message  # index.column
        assert found["statement"] in message
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n### seqcheck: ")  # appended
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(expected)
    if story == "marathon":
        assert lines[-1].endswith(" in 1 table checked.")
        assert "| certain | public\\.snickers | sequence | marathon\\_id\\_seq" in text
    else:
        assert lines[-1].endswith(f" in {RENAMED + CLEAN} tables checked.")
    # Without $GITHUB_STEP_SUMMARY the annotations are the same, and no file.
    assert seqcheck("scan", db.dsn, "--format", "github").out == result.out


@pytest.mark.parametrize("story", ["marathon", "large"])
def test_junit(db: TestDB, story: str) -> None:
    run_sql(db.dsn, MARATHON if story == "marathon" else large_schema())
    run_sql(db.dsn, "CREATE TABLE quiet (id serial PRIMARY KEY);")
    expected = findings_of(db.dsn)
    result = seqcheck("scan", db.dsn, "--format", "junit")
    assert (result.code, result.err) == (1, ""), result
    suite = junit_suite(result.out)
    cases = {(c.classname, c.name): c for c in suite}
    tables = sorted({f["table"] for f in expected})
    clean = ["quiet"] + (
        [] if story == "marathon" else [f"clean_{n}" for n in range(CLEAN)]
    )
    # One test case per checked table: drifted ones fail, the others pass.
    assert sorted(name for (_, name) in cases) == sorted([*tables, *clean])
    assert suite.tests == len(tables) + len(clean)
    assert suite.failures == len(tables)
    for table in tables:
        case = cases[("public", table)]
        assert not case.is_passed
        (failure,) = case.result
        text = failure.text or ""
        for found in expected:
            if found["table"] == table and found["tier"] != "index-column":
                assert f"{found['code']} {found['tier']}: " in text
                assert repr(found["name"]) in text
                assert found["statement"] in text
    assert all(cases[("public", name)].is_passed for name in clean)


@pytest.mark.parametrize("story", ["marathon", "large"])
def test_sarif(db: TestDB, story: str) -> None:
    run_sql(db.dsn, MARATHON if story == "marathon" else large_schema())
    expected = findings_of(db.dsn)
    result = seqcheck("scan", db.dsn, "--format", "sarif")
    assert (result.code, result.err) == (1, ""), result
    doc = json.loads(result.out)
    validate(doc)
    (sarif_run,) = doc["runs"]
    results = sarif_run["results"]
    assert [(r["ruleId"], r["properties"]["name"]) for r in results] == [
        (f["code"], f["name"]) for f in expected
    ]
    for r, found in zip(results, expected, strict=True):
        (logical,) = r["locations"][0]["logicalLocations"]
        assert logical["fullyQualifiedName"] == (
            f"public.{found['table']}.{found['name']}"
        )
        assert r["level"] == ("note" if found["tier"] == "index-column" else "error")
    assert sarif_run["properties"]["database"] == db.name


@ONE_VERSION
def test_clean_database_in_every_ci_format(db: TestDB) -> None:
    run_sql(db.dsn, "CREATE TABLE t (id serial PRIMARY KEY);")
    github = seqcheck("scan", db.dsn, "-f", "github")
    assert (github.code, github.out) == (0, "No drift in 1 table.\n")
    junit = seqcheck("scan", db.dsn, "-f", "junit")
    assert junit.code == 0
    assert junit_suite(junit.out).failures == 0
    sarif = seqcheck("scan", db.dsn, "-f", "sarif")
    assert sarif.code == 0
    validate(json.loads(sarif.out))


# -- baseline -----------------------------------------------------------------


def test_baseline_today_and_tomorrow(db: TestDB, tmp_path: Path) -> None:
    run_sql(db.dsn, MARATHON)
    path = tmp_path / "seqcheck-baseline.json"
    today = findings_of(db.dsn)
    written = seqcheck("scan", db.dsn, "--write-baseline", str(path))
    assert written.code == 0, written
    assert written.err == (
        f"seqcheck: note: wrote {len(today)} findings to baseline {path};"
        f" scans with --baseline {path} report only new drift\n"
    )
    assert "marathon_id_seq" in written.out  # the report is printed as usual

    # Tomorrow: unrelated changes keep the scan clean, a new OID for the same
    # name (a constraint dropped and added again) too.
    run_sql(
        db.dsn,
        "CREATE TABLE unrelated (id serial PRIMARY KEY);"
        " ALTER TABLE snickers ADD COLUMN note text;"
        " ALTER TABLE snickers DROP CONSTRAINT marathon_weight_check,"
        " ADD CONSTRAINT marathon_weight_check CHECK (mass > 0);",
    )
    run_sql(db.dsn, "VACUUM FULL snickers;")
    tomorrow = seqcheck("scan", db.dsn, "--baseline", str(path))
    assert tomorrow.code == 0, tomorrow
    assert tomorrow.out == "No drift in 2 tables.\n"
    assert tomorrow.err == (
        f"seqcheck: note: {len(today)} known findings in baseline {path} not shown\n"
    )

    # Then a table is renamed: exit 1 with exactly the new findings.
    run_sql(
        db.dsn,
        "CREATE TABLE orders (id serial PRIMARY KEY, ref int UNIQUE);"
        " ALTER TABLE orders RENAME TO purchases;",
    )
    after = seqcheck("scan", db.dsn, "--baseline", str(path), "-f", "json")
    assert after.code == 1, after
    (table,) = json.loads(after.out)["tables"]
    assert table["table"] == "purchases"
    new = {f["name"] for f in table["findings"]}
    assert new == {f["name"] for f in findings_of(db.dsn, "--table", "purchases")}
    assert new >= {"orders_pkey", "orders_id_seq", "orders_ref_key"}


def test_baseline_entries_that_no_longer_exist(db: TestDB, tmp_path: Path) -> None:
    run_sql(db.dsn, MARATHON)
    path = tmp_path / "baseline.json"
    assert seqcheck("scan", db.dsn, "--write-baseline", str(path), "-q").code == 0
    run_sql(db.dsn, "ALTER INDEX marathon_pkey RENAME TO snickers_pkey;")
    result = seqcheck("scan", db.dsn, "--baseline", str(path))
    assert result.code == 0, result
    notes = result.err.splitlines()
    assert notes[1] == (
        "seqcheck: note: 1 baseline entry no longer found:"
        f" public.marathon_pkey (pkey) (refresh the file with --write-baseline {path})"
    )
    # A narrower scan does not call entries outside its filters gone.
    narrow = seqcheck("scan", db.dsn, "--baseline", str(path), "--kind", "sequence")
    assert "no longer found" not in narrow.err


@ONE_VERSION
def test_baseline_errors(db: TestDB, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    assert_error(
        seqcheck("scan", db.dsn, "--baseline", str(missing)),
        f"cannot read baseline {missing}",
        "--write-baseline",
    )
    assert_error(
        seqcheck("scan", db.dsn, "--baseline", "a", "--write-baseline", "b"),
        "--baseline and --write-baseline cannot be combined",
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 9, "findings": []}', encoding="utf-8")
    assert_error(seqcheck("scan", db.dsn, "--baseline", str(bad)), "has version 9")


# -- config -------------------------------------------------------------------


@ONE_VERSION
def test_config_found_walking_up_and_overridden(db: TestDB, tmp_path: Path) -> None:
    run_sql(db.dsn, MARATHON)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.seqcheck]\nexclude_tables = ['snick*']\n", encoding="utf-8"
    )
    deep = tmp_path / "app" / "db"
    deep.mkdir(parents=True)
    assert seqcheck("scan", db.dsn, cwd=deep).code == 0
    # The command line wins: --exclude-table given, the file's list is not used.
    assert seqcheck("scan", db.dsn, "--exclude-table", "other", cwd=deep).code == 1
    # seqcheck.toml nearer the working directory wins over pyproject.toml.
    (deep / "seqcheck.toml").write_text("kinds = ['sequence']\n", encoding="utf-8")
    result = seqcheck("scan", db.dsn, "-f", "json", cwd=deep)
    assert result.code == 1
    (table,) = json.loads(result.out)["tables"]
    assert [f["kind"] for f in table["findings"]] == ["sequence"]


@ONE_VERSION
def test_config_strict_ignore_and_no_strict(db: TestDB, tmp_path: Path) -> None:
    run_sql(
        db.dsn,
        MARATHON + "CREATE TABLE app_users (email text);"
        " CREATE INDEX users_email_idx ON app_users (email);",
    )
    config = tmp_path / "ci.toml"
    config.write_text(
        "strict = true\n"
        "ignore = [\n"
        "  {object = 'public.marathon_id_seq', reason = 'ETL calls nextval on it'},\n"
        "]\n",
        encoding="utf-8",
    )
    found = names(findings_of(db.dsn, "--config", str(config)))
    assert ("app_users", "index", "users_email_idx") in found  # strict
    assert ("snickers", "sequence", "marathon_id_seq") not in found  # ignored
    assert ("snickers", "pkey", "marathon_pkey") in found
    lenient = names(findings_of(db.dsn, "--config", str(config), "--no-strict"))
    assert ("app_users", "index", "users_email_idx") not in lenient
    assert ("snickers", "sequence", "marathon_id_seq") not in lenient
    # fix renames nothing the config ignores.
    plan = seqcheck("fix", db.dsn, "--config", str(config), "-f", "sql")
    assert plan.code == 1
    assert "marathon_pkey" in plan.out
    assert "marathon_id_seq" not in plan.out


@ONE_VERSION
def test_config_lock_timeout_for_fix(db: TestDB, tmp_path: Path) -> None:
    run_sql(db.dsn, MARATHON)
    config = tmp_path / "seqcheck.toml"
    config.write_text("lock_timeout = '750ms'\n", encoding="utf-8")
    plan = seqcheck("fix", db.dsn, "-f", "sql", cwd=tmp_path)
    assert "SET LOCAL lock_timeout = '750ms';" in plan.out, plan
    given = seqcheck("fix", db.dsn, "-f", "sql", "--lock-timeout", "3s", cwd=tmp_path)
    assert "SET LOCAL lock_timeout = '3s';" in given.out, given


@ONE_VERSION
def test_config_errors_exit_2_naming_file_and_key(db: TestDB, tmp_path: Path) -> None:
    config = tmp_path / "seqcheck.toml"
    config.write_text("schema = ['public']\n", encoding="utf-8")
    assert_error(
        seqcheck("scan", db.dsn, cwd=tmp_path),
        f"{config}: unknown key 'schema'",
        "did you mean 'schemas'?",
    )
    config.write_text("convention = 'django'\n", encoding="utf-8")
    assert_error(
        seqcheck("scan", db.dsn, "--config", str(config)),
        f"{config}: 'convention' 'django' is unknown",
    )
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.seqcheck]\nstrict = 'yes'\n", encoding="utf-8")
    assert_error(
        seqcheck("fix", db.dsn, "--config", str(pyproject)),
        f"{pyproject}: [tool.seqcheck]: 'strict' must be true or false",
    )
    assert_error(
        seqcheck("scan", db.dsn, "--config", str(tmp_path / "none.toml")),
        "config file",
        "not found",
    )
