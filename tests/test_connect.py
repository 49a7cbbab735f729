"""Connect: DSN resolution (pure), then the session and snapshot on real servers."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import conninfo, errors

from seqcheck.connect import (
    connect,
    describe,
    describe_database,
    resolve_dsn,
    snapshot,
)
from seqcheck.errors import SeqcheckError
from tests.fix_server import TestDB


@pytest.mark.parametrize(
    ("given", "want"),
    [
        ("postgresql+psycopg://u@h:5/d", "postgresql://u@h:5/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql://u@h/d"),
        ("postgres://u@h/d", "postgresql://u@h/d"),
        ("postgresql://u@h/d", "postgresql://u@h/d"),
        ("host=h dbname=d", "host=h dbname=d"),
        ("  host=h  ", "host=h"),
    ],
)
def test_resolve_dsn_forms(given: str, want: str) -> None:
    assert resolve_dsn(given, {}) == want


def test_a_bare_word_is_a_database_name() -> None:
    assert conninfo.conninfo_to_dict(resolve_dsn("app", {})) == {"dbname": "app"}


def test_argument_then_database_url_then_libpq_environment() -> None:
    env = {"DATABASE_URL": "postgresql+psycopg://u@h/env"}
    assert resolve_dsn("host=x", env) == "host=x"
    assert resolve_dsn(None, env) == "postgresql://u@h/env"
    assert resolve_dsn(None, {}) == ""


@pytest.mark.parametrize(
    "bad", ["host=x port", "nosuch=1", "host='x", "postgresql://u:pw@[::1"]
)
def test_malformed_dsn(bad: str) -> None:
    with pytest.raises(SeqcheckError, match="malformed DSN") as caught:
        resolve_dsn(bad, {})
    assert "pw" not in str(caught.value)


def test_describe_never_holds_the_password() -> None:
    assert describe("postgresql://me:s3cr3t@db.example:6543/app") == (
        "db.example port 6543"
    )


@pytest.mark.parametrize(
    ("dsn", "want"),
    [
        ("postgresql://me:s3cr3t@db.example:6543/app", "app on db.example port 6543"),
        ("host=h password=s3cr3t dbname=app", "app on h port 5432"),
        ("host=h user=me", "me on h port 5432"),  # libpq's default database
        ("service=staging", "service staging"),
        ("service=staging dbname=app", "app via service staging"),
        ("host=h", "the default database on h port 5432"),
        ("not a dsn", "the server"),
    ],
)
def test_describe_database_names_it_without_the_password(
    dsn: str, want: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PGDATABASE", "PGUSER", "PGSERVICE", "PGHOST", "PGPORT"):
        monkeypatch.delenv(name, raising=False)
    assert describe_database(dsn) == want


def test_session_settings(db: TestDB) -> None:
    with connect(db.dsn, connect_timeout=None, statement_timeout_ms=12_345) as conn:
        row = conn.execute(
            "SELECT current_setting('application_name'),"
            " current_setting('statement_timeout')"
        ).fetchone()
        assert row == ("seqcheck", "12345ms")
        assert "password" not in conn.info.dsn


def test_snapshot_is_read_only_repeatable_read_and_rolled_back(db: TestDB) -> None:
    with connect(db.dsn) as conn:
        with snapshot(conn, statement_timeout_ms=4321):
            row = conn.execute(
                "SELECT current_setting('transaction_isolation'),"
                " current_setting('transaction_read_only'),"
                " current_setting('statement_timeout')"
            ).fetchone()
            assert row == ("repeatable read", "on", "4321ms")
            with pytest.raises(errors.ReadOnlySqlTransaction):
                conn.execute("CREATE TABLE nope (a int)")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_snapshot_turns_a_timeout_into_a_seqcheck_error(db: TestDB) -> None:
    with (
        connect(db.dsn) as conn,
        pytest.raises(SeqcheckError, match="longer than 50 ms"),
        snapshot(conn, statement_timeout_ms=50),
    ):
        conn.execute("SELECT pg_sleep(2)")
