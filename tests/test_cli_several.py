"""Several databases in one run: ``seqcheck scan DSN1 DSN2 …`` and ``--dsn-file``.

Each database is scanned as a single scan scans it (its section equals that
scan's report), one that cannot be reached is reported with its error while
the others are scanned, and the exit code is the highest of theirs. The
command runs in a subprocess on a real server, with databases created here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from junitparser import Error, Failure, JUnitXml, TestSuite
from psycopg import sql as pgsql

from seqcheck.embedded import Server
from tests.cli_run import seqcheck
from tests.fix_server import TestDB, drop_database, psql_ok, run_sql
from tests.render.test_github import parse
from tests.render.test_sarif import validate
from tests.test_cli import MARATHON, free_port

# Databases and options are under test, not the server: one version is enough.
ONE_VERSION = pytest.mark.pg(">=18")

ORDERS = """
CREATE TABLE orders (id serial PRIMARY KEY, code text UNIQUE);
ALTER TABLE orders RENAME TO purchases;
"""
CLEAN = "CREATE TABLE plain (id serial PRIMARY KEY, code text UNIQUE);"
SECRET = "s3cr3t-pw"


def gone(port: int) -> str:
    """Return a DSN, with a password, for a server that refuses connections."""
    return f"postgresql://someone:{SECRET}@127.0.0.1:{port}/nowhere"


@pytest.fixture
def three(db: TestDB) -> Iterator[dict[str, str]]:
    """Three databases on the test server: the marathon story, orders, clean."""
    short = db.name[:50]
    names = {"marathon": db.name, "orders": f"{short}_o", "clean": f"{short}_c"}
    admin = db.server.dsn()
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in list(names.values())[1:]:
            conn.execute(
                pgsql.SQL("CREATE DATABASE {} TEMPLATE template0").format(
                    pgsql.Identifier(name)
                )
            )
    dsns = {story: db.server.dsn(name) for story, name in names.items()}
    run_sql(dsns["marathon"], MARATHON)
    run_sql(dsns["orders"], ORDERS)
    run_sql(dsns["clean"], CLEAN)
    try:
        yield dsns
    finally:
        for name in list(names.values())[1:]:
            drop_database(db.server, name)


def label(server: Server, name: str) -> str:
    """Return how seqcheck names database *name* of *server*."""
    return f"{name} on {server.socket_dir} port {server.port}"


def named(db: TestDB, suffix: str = "") -> str:
    """Return how seqcheck names the database of *three* with *suffix*."""
    return label(db.server, db.name[:50] + suffix if suffix else db.name)


def single_json(dsn: str, *args: str) -> dict[str, Any]:
    result = seqcheck("scan", dsn, "-f", "json", *args)
    assert result.code in (0, 1), result
    doc: dict[str, Any] = json.loads(result.out)
    return doc


@ONE_VERSION
def test_table_sections_error_and_highest_exit(
    db: TestDB, three: dict[str, str]
) -> None:
    bad = gone(free_port())
    result = seqcheck("scan", three["marathon"], bad, three["clean"], three["orders"])
    assert result.code == 2, result
    assert SECRET not in result.out + result.err
    # The unreachable database: one error line on stderr, a section in the report.
    (line,) = result.err.splitlines()
    assert line.startswith("seqcheck: error: nowhere on 127.0.0.1 port "), line
    assert "connection refused" in line
    heads = [h for h in result.out.splitlines() if h.startswith("== ")]
    assert len(heads) == 4
    assert heads[0] == (
        f"== {named(db)}: 9 findings (7 certain, 0 likely,"
        " 2 index-column) in 1 table checked."
    )
    assert heads[2:] == [
        f"== {named(db, '_c')}: No drift in 1 table.",
        f"== {named(db, '_o')}: 4 findings (4 certain, 0 likely) in 1 table checked.",
    ]
    assert heads[1].startswith("== nowhere on 127.0.0.1 port ")
    assert ": error: could not connect to 127.0.0.1 port " in heads[1]
    # Each database's table is the single scan's.
    single = seqcheck("scan", three["marathon"])
    assert single.out in result.out
    assert seqcheck("scan", three["orders"]).out in result.out
    assert result.out.endswith(
        "4 databases: 2 with drift, 1 clean, 1 not scanned (error).\n"
    )
    # The exit code is the highest per-database code.
    assert seqcheck("scan", three["clean"], three["marathon"]).code == 1
    assert seqcheck("scan", three["clean"], three["clean"] + " ").code == 0
    assert seqcheck("scan", three["clean"], bad).code == 2


@ONE_VERSION
def test_json_document_holds_each_single_report(
    db: TestDB, three: dict[str, str]
) -> None:
    bad = gone(free_port())
    dsns = [three["marathon"], three["clean"], bad, three["orders"]]
    result = seqcheck("scan", *dsns, "--format", "json")
    assert result.code == 2, result
    doc = json.loads(result.out)
    assert SECRET not in result.out
    assert set(doc) == {"version", "tool", "databases"}
    assert doc["version"] == 1
    assert doc["tool"].startswith("seqcheck ")
    entries = doc["databases"]
    assert [e["exit"] for e in entries] == [1, 0, 2, 1]
    assert [e["dsn"] for e in entries[:2]] == [
        named(db),
        named(db, "_c"),
    ]
    for entry, dsn in zip(entries, dsns, strict=True):
        assert set(entry) == {"dsn", "exit", "error", "report"}
        if dsn == bad:
            assert entry["report"] is None
            assert entry["error"].startswith("could not connect to 127.0.0.1 port ")
        else:
            assert entry["error"] is None
            assert entry["report"] == single_json(dsn)


@ONE_VERSION
def test_junit_one_suite_per_database(db: TestDB, three: dict[str, str]) -> None:
    bad = gone(free_port())
    result = seqcheck("scan", three["marathon"], three["clean"], bad, "-f", "junit")
    assert result.code == 2, result
    xml = JUnitXml.fromstring(result.out)
    assert isinstance(xml, JUnitXml)
    suites = list(xml)
    assert all(isinstance(s, TestSuite) for s in suites)
    assert [s.name for s in suites] == [
        f"seqcheck {named(db)}",
        f"seqcheck {named(db, '_c')}",
        suites[2].name,
    ]
    marathon, clean, failed = suites
    assert (marathon.tests, marathon.failures, marathon.errors) == (1, 1, 0)
    assert (clean.tests, clean.failures, clean.errors) == (1, 0, 0)
    assert (failed.tests, failed.failures, failed.errors) == (1, 0, 1)
    (case,) = list(failed)
    (error,) = case.result
    assert isinstance(error, Error)
    assert "could not connect" in (error.message or "")
    (case,) = list(marathon)
    assert isinstance(case.result[0], Failure)
    totals = (xml.tests, xml.failures, xml.errors)
    assert totals == (3, 1, 1)
    # The suite of one database is the single scan's (but for its name).
    single = JUnitXml.fromstring(seqcheck("scan", three["marathon"], "-f", "junit").out)
    (alone,) = list(single)
    assert [c.name for c in alone] == [c.name for c in marathon]


@ONE_VERSION
def test_sarif_one_valid_run_per_database(db: TestDB, three: dict[str, str]) -> None:
    bad = gone(free_port())
    dsns = [three["marathon"], bad, three["orders"]]
    result = seqcheck("scan", *dsns, "-f", "sarif")
    assert result.code == 2, result
    doc = json.loads(result.out)
    validate(doc)
    runs = doc["runs"]
    assert len(runs) == 3
    # GitHub code scanning needs a distinct category per run of one tool.
    ids = [r["automationDetails"]["id"] for r in runs]
    assert len(set(ids)) == 3
    assert ids[0] == f"seqcheck/{named(db)}/"
    single = json.loads(seqcheck("scan", three["marathon"], "-f", "sarif").out)
    assert runs[0]["results"] == single["runs"][0]["results"]
    assert len(runs[2]["results"]) == 4
    (invocation,) = runs[1]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert "could not connect" in note["message"]["text"]
    assert runs[1]["results"] == []
    assert SECRET not in result.out


@ONE_VERSION
def test_github_names_the_database_and_concatenates_summaries(
    db: TestDB, three: dict[str, str], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    bad = gone(free_port())
    dsns = [three["marathon"], three["orders"], three["clean"], bad]
    result = seqcheck("scan", *dsns, "-f", "github", env=env)
    assert result.code == 2, result
    commands = [parse(line) for line in result.out.splitlines() if line[:2] == "::"]
    titles = [props["title"] for _, props, _ in commands]
    assert len(titles) == 9 + 4 + 1
    for title in titles[:9]:
        assert title.endswith(f" on public.snickers in {named(db)}")
    for title in titles[9:13]:
        assert title.endswith(f" on public.purchases in {named(db, '_o')}")
    level, props, message = commands[-1]
    assert level == "error"
    assert props["title"].startswith("seqcheck: nowhere on 127.0.0.1 port ")
    assert message.startswith("could not connect to 127.0.0.1 port ")
    text = summary.read_text(encoding="utf-8")
    heads = [line for line in text.splitlines() if line.startswith("#")]
    assert len(heads) == 5
    plain = re.sub(r"\\(.)", r"\1", heads[0])  # markdown escapes undone
    assert (
        plain
        == "## seqcheck: 4 databases: 2 with drift, 1 clean, 1 not scanned (error)."
    )
    escaped = db.name.replace("_", "\\_")
    assert heads[1].startswith(f"### seqcheck: {escaped} on ")
    assert "Error: could not connect" in text
    assert SECRET not in text + result.out


@ONE_VERSION
def test_sql_sections_run_on_their_databases(
    db: TestDB, three: dict[str, str], tmp_path: Path
) -> None:
    dsns = [three["marathon"], three["clean"], three["orders"]]
    result = seqcheck("scan", *dsns, "-f", "sql")
    assert result.code == 1, result
    parts = re.split(r"^-- ==== (.*) ====\n", result.out, flags=re.M)
    assert parts[0].startswith("-- seqcheck: rename scripts for 3 databases")
    names, scripts = parts[1::2], parts[2::2]
    assert names == [named(db, s) for s in ("", "_c", "_o")]
    assert scripts[1] == "-- seqcheck: nothing to rename\n\n"
    for dsn, script in zip(dsns, scripts, strict=True):
        assert script.strip() == seqcheck("scan", dsn, "-f", "sql").out.strip()
        path = tmp_path / "section.sql"
        path.write_text(script, encoding="utf-8")
        psql_ok(db.server, dsn, path, "-1")
    after = seqcheck("scan", *dsns)
    assert after.code == 0, after  # index-column findings alone exit 0
    assert after.out.endswith("3 databases: 0 with drift, 3 clean.\n")


@ONE_VERSION
def test_dsn_file_comments_stdin_and_one_database(
    db: TestDB, three: dict[str, str], tmp_path: Path
) -> None:
    listing = tmp_path / "dsns.txt"
    listing.write_text(
        f"# staging databases\n\n  {three['orders']}  \n# {three['marathon']}\n"
        f"{three['clean']}\n",
        encoding="utf-8",
    )
    both = seqcheck("scan", "--dsn-file", str(listing), "-f", "json")
    assert both.code == 1, both
    names = [e["dsn"] for e in json.loads(both.out)["databases"]]
    assert names == [named(db, s) for s in ("_o", "_c")]
    # Arguments first, then the file; a DSN given twice is scanned once.
    more = seqcheck(
        "scan", three["marathon"], three["clean"], "--dsn-file", str(listing)
    )
    heads = [h for h in more.out.splitlines() if h.startswith("== ")]
    assert [h.split(":")[0] for h in heads] == [
        f"== {named(db, s)}" for s in ("", "_c", "_o")
    ]
    # stdin
    done = seqcheck("scan", "--dsn-file", "-", "-f", "json", stdin=listing.read_bytes())
    assert done.code == 1, done
    assert json.loads(done.out)["databases"] == json.loads(both.out)["databases"]
    # One DSN in the file: today's single-database output, exactly.
    one = tmp_path / "one.txt"
    one.write_text(f"# just one\n{three['marathon']}\n", encoding="utf-8")
    for fmt in ("table", "json", "junit"):
        alone = seqcheck("scan", "--dsn-file", str(one), "-f", fmt)
        given = seqcheck("scan", three["marathon"], "-f", fmt)
        assert (alone.code, alone.out, alone.err) == (given.code, given.out, given.err)


def test_dsn_file_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n\n", encoding="utf-8")
    result = seqcheck("scan", "--dsn-file", str(empty))
    assert result.code == 2
    assert result.err == (
        f"seqcheck: error: --dsn-file {empty} names no database (write one DSN a"
        " line; lines starting with # are comments)\n"
    )
    missing = seqcheck("scan", "--dsn-file", str(tmp_path / "nope.txt"))
    assert missing.code == 2
    assert "cannot read --dsn-file" in missing.err
    assert "No such file or directory" in missing.err


@ONE_VERSION
def test_options_apply_to_every_database(
    db: TestDB, three: dict[str, str], tmp_path: Path
) -> None:
    dsns = [three["marathon"], three["orders"]]
    # Filters.
    result = seqcheck("scan", *dsns, "--kind", "pkey", "-f", "json")
    for entry in json.loads(result.out)["databases"]:
        kinds = {f["kind"] for t in entry["report"]["tables"] for f in t["findings"]}
        assert kinds == {"pkey"}
    # A config file.
    config = tmp_path / "seqcheck.toml"
    config.write_text('exclude_tables = ["purchases"]\n', encoding="utf-8")
    result = seqcheck("scan", *dsns, "--config", str(config), "-f", "json")
    codes = [e["exit"] for e in json.loads(result.out)["databases"]]
    assert codes == [1, 0]
    # A baseline written for one database applies to each.
    known = tmp_path / "baseline.json"
    assert seqcheck("scan", three["marathon"], "--write-baseline", str(known)).code == 0
    result = seqcheck("scan", *dsns, "--baseline", str(known), "-f", "json")
    assert result.code == 1, result
    codes = [e["exit"] for e in json.loads(result.out)["databases"]]
    assert codes == [0, 1]
    assert f"seqcheck: note: {named(db)}: 9 known findings" in (result.err)
    # --jobs 1: one at a time, the same report.
    assert seqcheck("scan", *dsns, "--jobs", "1").out == seqcheck("scan", *dsns).out


@ONE_VERSION
def test_refused_combinations(three: dict[str, str], tmp_path: Path) -> None:
    bad = gone(free_port())
    dsns = [three["marathon"], bad]
    fix = seqcheck("fix", *dsns)
    assert fix.code == 2
    assert fix.err == (
        "seqcheck: error: fix takes one DSN, and 2 are given (fix one database"
        " at a time; seqcheck scan takes several)\n"
    )
    written = seqcheck("scan", *dsns, "--write-baseline", str(tmp_path / "b.json"))
    assert written.code == 2
    assert "--write-baseline records one database, and 2 are given" in written.err
    alembic = seqcheck("scan", *dsns, "-f", "alembic")
    assert alembic.code == 2
    assert "--format alembic writes one database" in alembic.err
    for result in (fix, written, alembic):
        assert result.out == ""
        assert SECRET not in result.err
