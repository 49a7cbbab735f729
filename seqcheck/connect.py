"""Connect: resolve the DSN, open a connection, read in one read-only snapshot.

Stage: connect (an edge: it talks to the server). Imports psycopg and
:mod:`seqcheck.errors`. It only sets session parameters; it never writes.
Every failure a user can act on becomes a one-line
:class:`~seqcheck.errors.SeqcheckError`, and no message ever holds a password.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import conninfo, errors

from seqcheck.errors import SeqcheckError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_STATEMENT_TIMEOUT_MS",
    "MIN_SERVER_VERSION",
    "connect",
    "describe",
    "describe_database",
    "resolve_dsn",
    "snapshot",
]

DEFAULT_CONNECT_TIMEOUT = 10
DEFAULT_STATEMENT_TIMEOUT_MS = 60_000
#: ``server_version_num`` of the oldest server seqcheck reads (PostgreSQL 12).
MIN_SERVER_VERSION = 120000

_SQLALCHEMY = re.compile(r"^(?:postgres|postgresql)(?:\+[A-Za-z0-9_]+)?://", re.I)
_URI_PASSWORD = re.compile(r"://[^/@?#]*?:([^/@?#]*)@")
_KV_PASSWORD = re.compile(r"\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.I)
_QUOTED = re.compile(r'"[^"]*"')
_SERVER_SAYS = re.compile(r"(?:FATAL|ERROR):\s+(.*)")


def resolve_dsn(arg: str | None, environ: dict[str, str] | None = None) -> str:
    """Return the DSN to use: *arg*, else ``$DATABASE_URL``, else ``""``.

    ``""`` lets libpq read its own environment (``PGHOST``, ``PGSERVICE``…).
    SQLAlchemy URLs (``postgresql+psycopg://``) become ``postgresql://``; a
    bare word is a database name, as for ``psql``.

    :raises SeqcheckError: the DSN cannot be parsed.
    """
    env = os.environ if environ is None else environ
    dsn = arg if arg is not None else env.get("DATABASE_URL", "")
    dsn = dsn.strip()
    if not dsn:
        return ""
    dsn = _SQLALCHEMY.sub("postgresql://", dsn, count=1)
    if "=" not in dsn and "://" not in dsn and not any(c.isspace() for c in dsn):
        dsn = conninfo.make_conninfo(dbname=dsn)
    _parse(dsn)
    return dsn


def describe(dsn: str) -> str:
    """Return where *dsn* points (host, port, database), without a password."""
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the server"
    host = str(params.get("host") or os.environ.get("PGHOST") or "the default socket")
    port = str(params.get("port") or os.environ.get("PGPORT") or "5432")
    return f"{host} port {port}"


def describe_database(dsn: str) -> str:
    """Return the database *dsn* names and where it is, without a password.

    ``app on db.example.com port 5432``. A DSN without a database name is
    named as libpq would fill it in (``$PGDATABASE``, else the user name), or
    by the service it names.
    """
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the server"
    service = params.get("service") or os.environ.get("PGSERVICE")
    name = params.get("dbname") or os.environ.get("PGDATABASE")
    if service and not params.get("host"):
        return f"{name} via service {service}" if name else f"service {service}"
    name = name or params.get("user") or os.environ.get("PGUSER")
    return f"{name or 'the default database'} on {describe(dsn)}"


def connect(
    dsn: str,
    *,
    connect_timeout: int | None = DEFAULT_CONNECT_TIMEOUT,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
) -> psycopg.Connection[Any]:
    """Open an autocommit connection named ``seqcheck``.

    *connect_timeout* (seconds) applies even when the DSN sets none; ``None``
    keeps the DSN's own value, else :data:`DEFAULT_CONNECT_TIMEOUT`. The
    session's ``statement_timeout`` is set to *statement_timeout_ms*.

    :raises SeqcheckError: the server cannot be reached or refuses the login.
    """
    params = _parse(dsn)
    timeout = connect_timeout
    if timeout is None:
        given = params.get("connect_timeout") or os.environ.get("PGCONNECT_TIMEOUT")
        timeout = int(str(given)) if str(given or "").isdigit() else None
        timeout = timeout or DEFAULT_CONNECT_TIMEOUT
    try:
        conn = psycopg.connect(
            dsn,
            autocommit=True,
            connect_timeout=timeout,
            application_name="seqcheck",
        )
    except psycopg.OperationalError as exc:
        raise _connect_error(str(exc), dsn, timeout) from None
    try:
        conn.execute(
            "SELECT set_config('statement_timeout', %s, false)",
            (str(statement_timeout_ms),),
        )
    except psycopg.Error as exc:
        conn.close()
        raise SeqcheckError(
            f"could not set statement_timeout: {_first_line(str(exc))}"
        ) from None
    return conn


@contextmanager
def snapshot(
    conn: psycopg.Connection[Any],
    *,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
) -> Iterator[psycopg.Connection[Any]]:
    """Run the body in one READ ONLY, REPEATABLE READ transaction, rolled back.

    Errors of the body's queries become :class:`SeqcheckError`: a cancelled
    statement, a lost connection.

    :raises SeqcheckError: the server is older than PostgreSQL 12.
    """
    version = conn.info.server_version
    if version < MIN_SERVER_VERSION:
        shown = f"{version // 10000}" if version >= 100000 else str(version)
        raise SeqcheckError(
            f"server version {shown} is not supported",
            "seqcheck needs PostgreSQL 12 or later",
        )
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    try:
        with conn.transaction(force_rollback=True):
            # JIT only adds compile time to these short catalog queries.
            conn.execute(
                "SELECT set_config('statement_timeout', %s, true),"
                " set_config('jit', 'off', true)",
                (str(statement_timeout_ms),),
            )
            yield conn
    except errors.QueryCanceled:
        raise SeqcheckError(
            f"reading the catalog took longer than {statement_timeout_ms} ms",
            "raise --statement-timeout",
        ) from None
    except psycopg.OperationalError as exc:
        raise SeqcheckError(
            f"lost the connection to the server: {_first_line(str(exc))}"
        ) from None


def _parse(dsn: str) -> dict[str, Any]:
    """Return the parameters of *dsn*.

    :raises SeqcheckError: the DSN cannot be parsed.
    """
    try:
        return conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise SeqcheckError(
            f"malformed DSN: {_redact(_first_line(str(exc)), dsn)}",
            "use postgresql://user@host:port/dbname or 'host=… dbname=…'",
        ) from None


def _connect_error(message: str, dsn: str, timeout: int) -> SeqcheckError:
    """Return the one-line error for a failed connection attempt."""
    text = message.replace("\n", " ")
    where = describe(dsn)
    server = _SERVER_SAYS.search(message)
    said = _first_line(server[1]) if server else ""
    if "timeout expired" in text:
        return SeqcheckError(
            f"could not connect to {where}: no answer within {timeout} s",
            "check the host and port, or raise --connect-timeout",
        )
    if "Connection refused" in text or "No such file or directory" in text:
        return SeqcheckError(
            f"could not connect to {where}: connection refused",
            "is the server running and accepting connections there?",
        )
    if "failed to resolve host" in text or "could not translate host" in text:
        return SeqcheckError(
            f"could not connect to {where}: unknown host", "check the host name"
        )
    if "password authentication failed" in text or "no password supplied" in text:
        return SeqcheckError(
            said or f"password authentication failed at {where}",
            "check the password in the DSN, PGPASSWORD or ~/.pgpass",
        )
    if said.startswith("database ") and said.endswith("does not exist"):
        return SeqcheckError(said, f"check the database name; the server is {where}")
    if said.startswith("role ") and said.endswith("does not exist"):
        return SeqcheckError(said, "check the user name in the DSN or PGUSER")
    if "No route to host" in text or "Network is unreachable" in text:
        return SeqcheckError(
            f"could not connect to {where}: host unreachable",
            "check the host and your network",
        )
    detail = said or _first_line(message.removeprefix("connection failed: "))
    return SeqcheckError(f"could not connect to {where}: {_redact(detail, dsn)}")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else text.strip()


def _redact(message: str, dsn: str) -> str:
    """Hide anything in *message* that may come from a password in *dsn*."""
    secrets = [m[1] for m in _URI_PASSWORD.finditer(dsn)]
    secrets += [m[1].strip("'") for m in _KV_PASSWORD.finditer(dsn)]
    secrets = [s for s in secrets if s]
    if not secrets:
        return message
    for secret in secrets:
        message = message.replace(secret, "***")
    return _QUOTED.sub('"…"', message)
