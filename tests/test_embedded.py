"""Tests for the throwaway server launcher and the server fixtures built on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from seqcheck.embedded import (
    PREFIX,
    Server,
    embedded_bin_dir,
    remove_orphans,
    start_server,
    system_bin_dir,
)
from seqcheck.errors import SeqcheckError
from tests.fix_server import TestDB, flavours, matches, run_sql

REPO = Path(__file__).resolve().parents[1]
BIN_DIRS = [
    pytest.param(None, id="embedded"),
    pytest.param(
        system_bin_dir(),
        id="system",
        marks=pytest.mark.skipif(system_bin_dir() is None, reason="no system PG"),
    ),
]


def _processes_under(prefix: str) -> set[int]:
    """Return the processes whose cwd or executable path starts with `prefix`."""
    return set(_paths_under(prefix))


def _paths_under(prefix: str) -> dict[int, str]:
    """Return each process whose cwd or executable path starts with `prefix`,
    with that path."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        for link in ("cwd", "exe"):
            try:
                target = str((entry / link).readlink())
            except OSError:
                continue
            if target.startswith(prefix):
                found[int(entry.name)] = target
    return found


def _our_dirs() -> set[Path]:
    """Return the temp dirs of servers this process started and still has."""
    parents = {Path("/dev/shm"), Path(tempfile.gettempdir())}
    return {d for p in parents for d in p.glob(f"{PREFIX}{os.getpid()}-*")}


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """Fail unless the test leaves no new temp dir and no process in one."""
    before = _our_dirs()
    yield
    assert not _our_dirs() - before
    # Judged by path, not by a list of processes taken earlier: the servers
    # that were already running (session fixtures) start backends any time.
    stray = {
        pid: path
        for parent in {Path("/dev/shm"), Path(tempfile.gettempdir())}
        for pid, path in _paths_under(f"{parent}/{PREFIX}{os.getpid()}-").items()
        if not any(path == str(old) or path.startswith(f"{old}/") for old in before)
    }
    assert not stray


def _assert_gone(server: Server) -> None:
    root = server.socket_dir.parent
    assert not root.exists()
    assert not _processes_under(f"{root}/")


@pytest.mark.usefixtures("no_leftovers")
@pytest.mark.parametrize("pg_bin", BIN_DIRS)
def test_start_and_stop_leave_nothing(pg_bin: Path | None) -> None:
    settings = {"application_name": "a b'c\\d", "work_mem": "7MB"}
    with start_server(pg_bin, settings=settings) as server:
        assert (server.socket_dir / f".s.PGSQL.{server.port}").is_socket()
        assert _processes_under(f"{server.socket_dir.parent}/")
        with psycopg.connect(server.dsn()) as conn:
            shown = conn.execute(
                "SELECT current_setting('application_name'),"
                " current_setting('work_mem'), current_setting('fsync'),"
                " current_setting('listen_addresses'), current_user"
            ).fetchone()
    assert shown == ("a b'c\\d", "7MB", "off", "", "postgres")
    _assert_gone(server)


@pytest.mark.usefixtures("no_leftovers")
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_error_inside_with_leaves_nothing(error: type[BaseException]) -> None:
    servers = []
    with pytest.raises(error), start_server() as server:
        servers.append(server)
        raise error("boom")
    _assert_gone(servers[0])


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@pytest.mark.usefixtures("no_leftovers")
@pytest.mark.parametrize("delay", [0.0003, 0.001, 0.1, 0.5, 0.9, 1.3])
def test_ctrl_c_during_start_leaves_nothing(delay: float) -> None:
    previous = signal.signal(signal.SIGALRM, _interrupt)
    try:
        # The timer starts inside pytest.raises: a short one may fire before
        # start_server() is entered, and must not interrupt the test run.
        with pytest.raises(KeyboardInterrupt):
            signal.setitimer(signal.ITIMER_REAL, delay)
            with start_server():
                time.sleep(10)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.usefixtures("no_leftovers")
def test_failed_start_raises_and_leaves_nothing() -> None:
    with (
        pytest.raises(SeqcheckError, match="no_such_setting"),
        start_server(settings={"no_such_setting": "1"}),
    ):
        pass


@pytest.mark.usefixtures("no_leftovers")
def test_bad_input_is_refused_before_starting(tmp_path: Path) -> None:
    with pytest.raises(SeqcheckError, match="has no initdb"), start_server(tmp_path):
        pass
    with (
        pytest.raises(SeqcheckError, match="setting"),
        start_server(settings={"a b": "c"}),
    ):
        pass


def test_orphans_of_a_killed_process_are_removed() -> None:
    code = (
        "import time\nfrom seqcheck.embedded import start_server\n"
        "with start_server() as s:\n"
        "    print(s.socket_dir.parent, flush=True)\n    time.sleep(120)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path])}
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    ) as child:
        assert child.stdout is not None
        root = Path(child.stdout.readline().strip())
        child.kill()
    assert root.name.startswith(PREFIX)
    assert root.is_dir()
    assert _processes_under(f"{root}/")
    assert remove_orphans() >= 1
    assert not root.exists()
    assert not _processes_under(f"{root}/")


def test_bin_dirs() -> None:
    assert (embedded_bin_dir() / "postgres").is_file()
    assert system_bin_dir(99) is None
    system = Path("/usr/lib/postgresql/15/bin")
    assert system_bin_dir() == (system if (system / "initdb").is_file() else None)


def test_dsn_quotes_values() -> None:
    server = Server(Path("/b"), Path("/tmp/a b'c\\"), 5433, 18, "postgres")
    assert conninfo_to_dict(server.dsn("my db")) == {
        "host": "/tmp/a b'c\\",
        "port": "5433",
        "user": "postgres",
        "dbname": "my db",
    }


def test_server_answers(pg_server: Server) -> None:
    with psycopg.connect(pg_server.dsn()) as conn:
        row = conn.execute(
            "SELECT version(), current_setting('server_version_num')::int / 10000"
        ).fetchone()
    assert row is not None
    assert row[0].startswith(f"PostgreSQL {pg_server.major}.")
    assert row[1] == pg_server.major


_databases: list[tuple[Server, str]] = []


def test_db_is_fresh_empty_and_works(db: TestDB) -> None:
    for server, name in _databases:  # the databases of earlier tests are gone
        if server == db.server:
            with psycopg.connect(server.dsn()) as conn:
                cur = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                )
                assert cur.fetchone() is None
    _databases.append((db.server, db.name))
    with psycopg.connect(db.dsn) as conn:
        row = conn.execute(
            "SELECT current_database(), count(*) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg_toast%'"
        ).fetchone()
    assert row == (db.name, 0)
    run_sql(db.dsn, "CREATE TABLE a (id serial PRIMARY KEY); INSERT INTO a VALUES (7);")
    with psycopg.connect(db.dsn) as conn:
        assert conn.execute("SELECT id FROM a").fetchall() == [(7,)]


test_db_is_dropped_after_each_test = test_db_is_fresh_empty_and_works


@pytest.mark.pg(">=18")
def test_pg_marker_selects_new_servers(pg_server: Server) -> None:
    assert pg_server.major >= 18


@pytest.mark.pg("<18")
def test_pg_marker_selects_old_servers(db: TestDB) -> None:
    assert db.server.major < 18


def test_version_specs() -> None:
    assert matches(">=18", 18)
    assert not matches(">=18", 15)
    assert matches("15", 15)
    assert matches(">=15, <18", 16)
    assert not matches(">15,!=16", 16)
    with pytest.raises(pytest.UsageError):
        matches("~15", 15)


@pytest.fixture
def fresh_flavours() -> Iterator[None]:
    flavours.cache_clear()
    yield
    flavours.cache_clear()


@pytest.mark.usefixtures("fresh_flavours")
def test_seqcheck_pg_selects_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEQCHECK_PG", "embedded")
    assert [f.id for f in flavours()] == ["pg18"]
    flavours.cache_clear()
    monkeypatch.setenv("SEQCHECK_PG", str(embedded_bin_dir()))
    assert [(f.id, f.bin_dir) for f in flavours()] == [("pg18", embedded_bin_dir())]
    flavours.cache_clear()
    monkeypatch.setenv("SEQCHECK_PG", "/no/such/bin")
    with pytest.raises(pytest.UsageError, match="SEQCHECK_PG"):
        flavours()
    flavours.cache_clear()
    monkeypatch.setenv("SEQCHECK_PG", "system")
    monkeypatch.setattr("tests.fix_server.system_bin_dir", lambda major: None)
    (system,) = flavours()
    assert (system.id, system.bin_dir, system.optional) == ("pg15", None, True)
