"""``alembic upgrade head`` on a throwaway database, then a seqcheck scan.

Stage: an edge (it starts a server, runs Alembic and reads the catalog). Used
by ``seqcheck alembic-check`` and by :func:`assert_migrations_clean` in tests.

The migrations run in this process, through ``alembic.command``, with the
project's own ``env.py``. The database is handed over the two ways ``env.py``
files read it: Alembic's ``sqlalchemy.url`` option and ``$DATABASE_URL`` (for
the duration of the run), as a SQLAlchemy URL for psycopg 3. Alembic runs from
its config file's directory, as it is normally started.
"""

from __future__ import annotations

import os
import traceback
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from psycopg import conninfo
from sqlalchemy.engine import URL

from seqcheck.errors import SeqcheckError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import TracebackType

    from seqcheck.drift import Scope
    from seqcheck.findings import Finding
    from seqcheck.pipeline import Scanned

__all__ = ["Checked", "assert_migrations_clean", "sqlalchemy_url", "upgrade_and_scan"]


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome: a scan after a successful upgrade, or why it failed.

    :param error: Alembic's message when a migration failed (``scanned`` is
        then ``None``).
    :param revision: the revision that failed, when it can be told.
    """

    scanned: Scanned | None
    error: str | None = None
    revision: str | None = None


def sqlalchemy_url(dsn: str) -> str:
    """Return a libpq DSN (URI or ``key=value``) as a SQLAlchemy URL for psycopg 3."""
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except Exception as exc:
        raise SeqcheckError(f"cannot parse the DSN: {exc}") from None
    user = params.pop("user", None)
    password = params.pop("password", None)
    database = params.pop("dbname", None)
    url = URL.create(
        "postgresql+psycopg",
        username=str(user) if user is not None else None,
        password=str(password) if password is not None else None,
        database=str(database) if database is not None else None,
        query={k: str(v) for k, v in params.items() if v is not None},
    )
    return url.render_as_string(hide_password=False)


def _config_file(path: Path) -> Config:
    """Return Alembic's ``Config`` for *path* (an ini file or a pyproject.toml)."""
    if not path.is_file():
        raise SeqcheckError(
            f"Alembic config {path} not found", "pass --alembic-config FILE"
        )
    if path.suffix == ".toml":
        return Config(toml_file=str(path))
    return Config(str(path))


@contextmanager
def _environment(url: str, directory: Path) -> Iterator[None]:
    saved_url = os.environ.get("DATABASE_URL")
    saved_cwd = Path.cwd()
    os.environ["DATABASE_URL"] = url
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        if saved_url is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved_url


def _failed_revision(tb: TracebackType | None) -> str | None:
    """Return the ``revision`` of the migration module a traceback went through."""
    found = None
    for frame, _ in traceback.walk_tb(tb):
        if frame.f_code.co_name in ("upgrade", "downgrade"):
            revision = frame.f_globals.get("revision")
            if isinstance(revision, str):
                found = revision
    return found


def upgrade(config_path: Path, dsn: str, target: str = "head") -> Checked | None:
    """Run ``alembic upgrade TARGET`` on *dsn*; return ``None``, or why it failed."""
    config = _config_file(config_path.resolve())
    url = sqlalchemy_url(dsn)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with _environment(url, config_path.resolve().parent):
        try:
            command.upgrade(config, target)
        except SeqcheckError:
            raise
        except Exception as exc:
            lines = str(exc).strip().splitlines() or [type(exc).__name__]
            return Checked(None, lines[0], _failed_revision(exc.__traceback__))
        except SystemExit as exc:  # env.py gave up (raise SystemExit)
            return Checked(None, str(exc.code or "env.py exited"), None)
    return None


def upgrade_and_scan(
    config_path: Path,
    *,
    dsn: str | None = None,
    pg_bin: Path | None = None,
    scope: Scope | None = None,
    target: str = "head",
    drop: Callable[[Finding], bool] | None = None,
) -> Checked:
    """Migrate a database to *target* with Alembic, then scan it.

    :param dsn: the database to migrate (it *is* migrated); by default a
        throwaway server (:func:`seqcheck.embedded.start_server`) is started.
    :param pg_bin: the PostgreSQL ``bin`` dir for the throwaway server.
    :param drop: findings to leave out (the config's ignore entries).
    :raises SeqcheckError: the config, the server or the scan failed.
    """
    from seqcheck.connect import connect, resolve_dsn
    from seqcheck.embedded import start_server
    from seqcheck.pipeline import scan_connection

    with ExitStack() as stack:
        if dsn is None:
            server = stack.enter_context(start_server(pg_bin))
            dsn = server.dsn("postgres")
        else:
            dsn = resolve_dsn(dsn)
        failed = upgrade(config_path, dsn, target)
        if failed is not None:
            return failed
        with connect(dsn) as conn:
            return Checked(scan_connection(conn, scope, drop=drop))
    raise AssertionError("unreachable")  # pragma: no cover


def assert_migrations_clean(
    config_path: Path | str = "alembic.ini",
    *,
    dsn: str | None = None,
    pg_bin: Path | None = None,
) -> tuple[Finding, ...]:
    """Assert that the migrations run and leave no drift; for a pytest test.

    Returns the findings that do not fail a scan (stale index column names).

    :raises AssertionError: a migration failed (with Alembic's message), or
        seqcheck found drift (listed one per line).
    """
    from seqcheck.pipeline import failing

    checked = upgrade_and_scan(Path(config_path), dsn=dsn, pg_bin=pg_bin)
    if checked.scanned is None:
        where = f" in revision {checked.revision}" if checked.revision else ""
        raise AssertionError(f"alembic upgrade head failed{where}: {checked.error}")
    scanned = checked.scanned
    bad = failing(scanned.drift.findings, scanned.scope)
    if bad:
        lines = "\n".join(f"  {f.schema}.{f.table}: {f.message}" for f in bad)
        raise AssertionError(f"seqcheck found drift after the migrations:\n{lines}")
    return scanned.drift.findings
