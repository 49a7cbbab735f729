"""Names are measured and cut in the server encoding (NAMING.md §1.1 step 4)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from seqcheck.apply import apply_plan
from seqcheck.catalog import read_catalog
from seqcheck.connect import connect
from seqcheck.drift import find_drift
from seqcheck.embedded import Server
from seqcheck.findings import Kind
from seqcheck.pipeline import scan_connection


def _database(server: Server, name: str, encoding: str) -> str:
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL(
                "CREATE DATABASE {} ENCODING {} TEMPLATE template0"
                " LC_COLLATE 'C' LC_CTYPE 'C'"
            ).format(sql.Identifier(name), sql.Literal(encoding))
        )
    return server.dsn(name)


def _scan(dsn: str, statements: list[str], client_encoding: str) -> dict[str, str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("SET client_encoding = {}").format(client_encoding))
        for statement in statements:
            conn.execute(statement.encode("utf-8"))
        catalog = read_catalog(conn)
    drift = find_drift(catalog)
    return {f.name: f.expected for f in drift.findings if f.kind is Kind.PKEY}


def test_latin1_counts_latin1_bytes(pg_server: Server) -> None:
    dsn = _database(pg_server, "enc_latin1", "LATIN1")
    found = _scan(
        dsn,
        [
            f'CREATE TABLE "{"é" * 62}" (id int PRIMARY KEY)',
            f'ALTER TABLE "{"é" * 62}" RENAME TO "{"è" * 62}"',
        ],
        "UTF8",
    )
    assert found == {"é" * 58 + "_pkey": "è" * 58 + "_pkey"}


def test_sql_ascii_keeps_split_bytes(pg_server: Server) -> None:
    dsn = _database(pg_server, "enc_ascii", "SQL_ASCII")
    old = "b" + "а" * 30  # 61 bytes of UTF-8 Cyrillic: the cut splits a letter
    found = _scan(
        dsn,
        [
            f'CREATE TABLE "{old}" (id int PRIMARY KEY)',
            f'ALTER TABLE "{old}" RENAME TO "новый"',
        ],
        "SQL_ASCII",
    )
    cut = (old.encode("utf-8")[:58]).decode("utf-8", "surrogateescape")
    assert found == {cut + "_pkey": "новый_pkey"}


def test_apply_quotes_for_a_latin1_connection(pg_server: Server) -> None:
    """Renames run over a LATIN1 connection are quoted by libpq for it."""
    dsn = _database(pg_server, "enc_latin1_apply", "LATIN1")
    _scan(
        dsn,
        [
            f'CREATE TABLE "{"é" * 62}" (id int PRIMARY KEY, "ç""a" int UNIQUE)',
            f'ALTER TABLE "{"é" * 62}" RENAME TO "{"è" * 62}"',
        ],
        "UTF8",
    )
    with connect(f"{dsn} client_encoding=LATIN1") as conn:
        assert conn.info.encoding == "iso8859-1"
        found = scan_connection(conn)
        result = apply_plan(conn, found.plan, catalog=found.catalog)
        renamed = {r.new for r in result.renames}
        assert {"è" * 58 + "_pkey", "è" * 55 + '_ç"a_key'} <= renamed
        assert len(renamed) == (3 if pg_server.major >= 18 else 2)  # NOT NULL
        assert scan_connection(conn).drift.findings == ()
