"""A server older than PostgreSQL 12 is a one-line error, exit 2, nothing changed.

Needs a PostgreSQL 11 ``bin`` directory in ``SEQCHECK_PG11`` (``.ci/run``
fetches one with ``.ci/older_servers.py``); skipped without it, failed in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from seqcheck.embedded import Server, start_server
from tests.cli_run import seqcheck
from tests.fix_server import IN_CI, run_sql
from tests.test_cli import MARATHON

ERROR = (
    "seqcheck: error: server version 11 is not supported"
    " (seqcheck needs PostgreSQL 12 or later)\n"
)


@pytest.fixture(scope="module")
def pg11() -> Iterator[Server]:
    """A PostgreSQL 11 server holding the marathon → snickers story."""
    bin_dir = os.environ.get("SEQCHECK_PG11")
    if not bin_dir:
        missing = "SEQCHECK_PG11 (a PostgreSQL 11 bin dir) is not set"
        if IN_CI:
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    with start_server(Path(bin_dir)) as server:
        assert server.major == 11
        run_sql(server.dsn(), MARATHON)
        yield server


def _names(server: Server) -> list[tuple[str]]:
    with psycopg.connect(server.dsn()) as conn:
        return conn.execute("SELECT relname::text FROM pg_class ORDER BY 1").fetchall()


@pytest.mark.parametrize(
    "args",
    [("scan",), ("scan", "--format", "json"), ("fix",), ("fix", "--apply")],
    ids=" ".join,
)
def test_a_server_older_than_12_is_one_line_and_exit_2(
    pg11: Server, args: tuple[str, ...]
) -> None:
    before = _names(pg11)
    result = seqcheck(*args, pg11.dsn())
    assert (result.code, result.out, result.err) == (2, "", ERROR)
    assert _names(pg11) == before
