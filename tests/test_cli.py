"""The CLI end to end: the real command in a subprocess, real servers.

Error paths print one line, ``seqcheck: error: <what> (<hint>)``, and exit 2.
Scans exit 1 on drift; the ``sql`` script, run by psql, makes a re-scan clean.
A wrong password is tested by switching one role to scram in the server's pg_hba.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo
from psycopg import sql as pgsql

from seqcheck import __version__
from tests.cli_run import Result, seqcheck
from tests.fix_server import TestDB, psql_ok, run_sql

MARATHON = """
CREATE TABLE marathon (
    id serial PRIMARY KEY,
    weight int UNIQUE CHECK (weight > 0),
    ref int REFERENCES marathon,
    name text
);
CREATE INDEX ON marathon (weight, lower(name));
ALTER TABLE marathon RENAME TO snickers;
ALTER TABLE snickers RENAME COLUMN weight TO mass;
"""

HOSTILE = """
CREATE SCHEMA "we""ird sch:ema";
SET search_path = "we""ird sch:ema";
CREATE TABLE "Mara
thon 😀" (id serial PRIMARY KEY, "we""ight, %" int UNIQUE CHECK ("we""ight, %" > 0),
          ref int REFERENCES "Mara
thon 😀");
CREATE INDEX ON "Mara
thon 😀" ("we""ight, %", ref);
CREATE TABLE "ééééééééééééééééééééééééééééééé" (id serial PRIMARY KEY, note text);
CREATE INDEX ON "ééééééééééééééééééééééééééééééé" (note);
CREATE TABLE a (id int PRIMARY KEY, x int UNIQUE);
CREATE TABLE b (id int PRIMARY KEY, x int UNIQUE);
ALTER TABLE "Mara
thon 😀" RENAME TO "Snick ers, 100%";
ALTER TABLE "Snick ers, 100%" RENAME COLUMN "we""ight, %" TO "mass: 'kg'";
ALTER TABLE "ééééééééééééééééééééééééééééééé"
    RENAME TO "üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüü";
ALTER TABLE a RENAME TO tmp;
ALTER TABLE b RENAME TO a;
ALTER TABLE tmp RENAME TO b;
"""


def assert_error(result: Result, *parts: str) -> None:
    """Assert exit 2 and one ``seqcheck: error:`` line holding every part."""
    assert result.code == 2, result
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("seqcheck: error: "), result.err
    assert "Traceback" not in result.err
    for part in parts:
        assert part in lines[0], (part, lines[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def with_params(dsn: str, **params: Any) -> str:
    return conninfo.make_conninfo(dsn, **params)


# -- without a server ---------------------------------------------------------


def test_version() -> None:
    result = seqcheck("--version")
    assert (result.code, result.out) == (0, f"seqcheck {__version__}\n")


def test_unknown_option_is_one_line() -> None:
    result = seqcheck("scan", "--colour")
    assert_error(result)
    assert result.err == (
        "seqcheck: error: no such option: --colour (see seqcheck scan --help)\n"
    )


def test_unknown_command_and_bad_values() -> None:
    assert_error(seqcheck("scna"), "no such command", "(see seqcheck --help)")
    assert_error(seqcheck("scan", "-f", "xml"), "'xml' is not one of", "--format")
    assert_error(seqcheck("scan", "--kind", "nope"), "'nope' is not one of")
    assert_error(
        seqcheck("scan", "--statement-timeout", "5 parsecs"),
        "invalid --statement-timeout",
    )


def test_no_arguments_is_a_usage_error() -> None:
    result = seqcheck()
    assert result.code == 2
    assert "Usage: seqcheck" in result.err


def test_malformed_dsn() -> None:
    assert_error(seqcheck("scan", "host=x port"), "malformed DSN", 'after "port"')
    assert_error(seqcheck("scan", "postgresql://u@h/d?nosuch=1"), "malformed DSN")


def test_malformed_dsn_never_shows_the_password() -> None:
    result = seqcheck("scan", "postgresql://me:s3cr3t@[::1")
    assert_error(result, "malformed DSN")
    assert "s3cr3t" not in result.err


def test_refused_connection() -> None:
    port = free_port()
    result = seqcheck("scan", f"postgresql://me:s3cr3t@127.0.0.1:{port}/app")
    assert_error(result, "connection refused", f"127.0.0.1 port {port}")
    assert "s3cr3t" not in result.err


def test_database_url_is_used_and_sqlalchemy_urls_are_normalised() -> None:
    port = free_port()
    url = f"postgresql+psycopg://me@127.0.0.1:{port}/app"
    result = seqcheck("scan", env={"DATABASE_URL": url})
    assert_error(result, "connection refused", str(port))


def test_connect_timeout_applies_without_one_in_the_dsn(black_hole: int) -> None:
    dsn = f"host=127.0.0.1 port={black_hole} dbname=app"
    result = seqcheck("scan", dsn, "--connect-timeout", "1")
    assert_error(result, "no answer within 1 s", "--connect-timeout")
    assert result.seconds < 10


# -- against a server ---------------------------------------------------------


def test_missing_database(db: TestDB) -> None:
    dsn = with_params(db.dsn, dbname="no_such_db")
    assert_error(seqcheck("scan", dsn), 'database "no_such_db" does not exist')


def test_missing_role(db: TestDB) -> None:
    dsn = with_params(db.dsn, user="no_such_role")
    assert_error(seqcheck("scan", dsn), 'role "no_such_role" does not exist')


def test_wrong_password(db: TestDB) -> None:
    role = f"pw_{db.name}"
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        hba = Path(str(conn.execute("SHOW hba_file").fetchone()[0]))  # type: ignore[index]
        conn.execute(
            pgsql.SQL("CREATE ROLE {} LOGIN PASSWORD 'right'").format(
                pgsql.Identifier(role)
            )
        )
        original = hba.read_text()
        hba.write_text(f"local all {role} scram-sha-256\n" + original)
        conn.execute("SELECT pg_reload_conf()")
    try:
        dsn = with_params(db.dsn, user=role, password="s3cr3t-Xyz")
        result = seqcheck("scan", dsn)
        assert_error(result, "password authentication failed")
        assert "s3cr3t-Xyz" not in result.err
    finally:
        hba.write_text(original)
        with psycopg.connect(db.dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")


def test_clean_database(db: TestDB) -> None:
    run_sql(db.dsn, "CREATE TABLE t (id serial PRIMARY KEY, a int UNIQUE);")
    result = seqcheck("scan", db.dsn)
    assert (result.code, result.out, result.err) == (0, "No drift in 1 table.\n", "")


def test_marathon_table(db: TestDB) -> None:
    run_sql(db.dsn, MARATHON)
    result = seqcheck("scan", db.dsn)
    assert result.code == 1, result
    lines = result.out.splitlines()
    assert lines[0] == "public.snickers (renamed from marathon)"
    assert any(
        "marathon_id_seq" in line and "snickers_id_seq" in line for line in lines
    )
    assert "index-column" in result.out
    assert "\x1b" not in result.out  # not a terminal: no colour


def test_marathon_json(db: TestDB) -> None:
    run_sql(db.dsn, MARATHON)
    result = seqcheck("scan", db.dsn, "--format", "json")
    assert result.code == 1
    doc = json.loads(result.out)
    assert doc["version"] == 1
    assert doc["database"]["name"] == db.name
    (table,) = doc["tables"]
    assert (table["schema"], table["table"]) == ("public", "snickers")
    assert table["renamed_from"] == ["marathon"]
    by_name = {f["name"]: f for f in table["findings"]}
    seq = by_name["marathon_id_seq"]
    assert seq["expected"] == "snickers_id_seq"
    assert seq["statement"] == (
        'ALTER SEQUENCE "public"."marathon_id_seq" RENAME TO "snickers_id_seq";'
    )
    assert seq["lock"] == "AccessExclusiveLock on the sequence"
    assert by_name["marathon_weight_key"]["expected"] == "snickers_mass_key"
    assert doc["summary"]["index_column"] == 2


def test_filters_and_quiet(db: TestDB, tmp_path: Path) -> None:
    run_sql(db.dsn, MARATHON)
    result = seqcheck("scan", db.dsn, "-f", "json", "--kind", "sequence")
    (table,) = json.loads(result.out)["tables"]
    assert [f["kind"] for f in table["findings"]] == ["sequence"]
    assert seqcheck("scan", db.dsn, "--table", "other*").code == 0
    assert seqcheck("scan", db.dsn, "--exclude-schema", "public").code == 0
    quiet = seqcheck("scan", db.dsn, "-q")
    assert (quiet.code, quiet.out, quiet.err) == (1, "", "")
    out = tmp_path / "report.json"
    written = seqcheck("scan", db.dsn, "-f", "json", "-o", str(out))
    assert (written.code, written.out) == (1, "")
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == 1


def test_index_column_findings_alone_exit_0(db: TestDB) -> None:
    run_sql(
        db.dsn,
        "CREATE TABLE t (a int, b int); CREATE INDEX t_a_b_idx ON t (a, b);"
        "ALTER TABLE t RENAME COLUMN a TO x;"
        "ALTER INDEX t_a_b_idx RENAME TO t_x_b_idx;",
    )
    result = seqcheck("scan", db.dsn)
    assert result.code == 0, result
    assert "index-column" in result.out


def test_schema_without_usage_is_scanned_with_a_warning(db: TestDB) -> None:
    role = f"r_{db.name}"[:63]
    run_sql(
        db.dsn,
        f"CREATE ROLE {role} LOGIN; CREATE SCHEMA hidden;"
        " CREATE TABLE hidden.marathon (id serial PRIMARY KEY);"
        " ALTER TABLE hidden.marathon RENAME TO snickers;",
    )
    try:
        result = seqcheck("scan", with_params(db.dsn, user=role))
        assert result.code == 1, result
        assert "marathon_pkey" in result.out
        warning = f"seqcheck: warning: role {role} has no USAGE on schema hidden"
        assert result.err.startswith(warning), result.err
    finally:
        run_sql(db.dsn, f"DROP OWNED BY {role}; DROP ROLE {role};")


@pytest.mark.parametrize("story", [MARATHON, HOSTILE], ids=["marathon", "hostile"])
def test_sql_script_makes_a_rescan_clean(
    db: TestDB, tmp_path: Path, story: str
) -> None:
    run_sql(db.dsn, story)
    script = tmp_path / "fix.sql"
    made = seqcheck("scan", db.dsn, "-f", "sql", "-o", str(script))
    assert made.code == 1, made
    text = script.read_text(encoding="utf-8")
    assert "BEGIN;" in text and text.endswith("COMMIT;\n")
    if story is HOSTILE:
        assert "_seqcheck_tmp" in text  # the a/b swap
    psql_ok(db.server, db.dsn, script, "-1")
    again = seqcheck("scan", db.dsn)
    assert (again.code, again.err) == (0, ""), again
    assert again.out.startswith("No drift in ")
