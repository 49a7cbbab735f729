"""Names are measured and cut in the server encoding (NAMING.md §1.1 step 4)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from seqcheck.catalog import read_catalog
from seqcheck.drift import find_drift
from seqcheck.embedded import Server
from seqcheck.findings import Kind


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
