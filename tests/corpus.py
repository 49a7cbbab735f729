"""Load the real-world schemas of ``../shared/corpus`` into a test server.

``../shared/corpus/README.md`` says how each schema loads; :data:`SCHEMAS`
records that, and :func:`load` replays it with the server's own ``psql -X -v
ON_ERROR_STOP=1``, run as an argument list (no shell), with ``PGHOST``,
``PGPORT`` and ``PGUSER`` pointing at the server's socket.

Departures from the README, all of them environment only (no schema object
changes):

* Databases are created with ``CREATE DATABASE`` over psycopg rather than the
  ``createdb`` program; the options are the README's (MusicBrainz: template0,
  UTF8, C collation and ctype).
* ``PGCLIENTENCODING=UTF8`` is set so that non-ASCII identifiers (a Pagila domain
  name) do not depend on the locale pytest runs in.
* AdventureWorks runs in a scratch directory: its preamble writes empty CSV
  files to psql's working directory, and ``shared/`` is read-only in CI.
* Chinook 1.4.5 runs unchanged against database ``postgres``: the file itself
  drops and creates ``chinook_auto_increment`` and ``\\c``-connects to it, and
  that database is the one scanned. Nothing else on a test server uses that
  name, and each server loads it at most once per session.
* MusicBrainz on a server without ICU (the embedded PostgreSQL 18 wheel): the
  schema folder is copied to a temp dir and the one ``CREATE COLLATION
  musicbrainz (provider = icu, ...)`` in ``admin/sql/CreateCollations.sql`` is
  switched to ``provider = libc, locale = 'C'``. The collation keeps its name,
  so the columns and the eight ``*_idx_musicbrainz_collate`` indexes that use
  it are created as upstream has them; only the sort order differs, which no
  name depends on.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

from seqcheck.embedded import Server
from seqcheck.schemafile import has_icu
from tests.fix_server import drop_database

__all__ = [
    "CORPUS",
    "SCHEMAS",
    "CorpusSchema",
    "ExpectedRow",
    "LoadError",
    "Loaded",
    "MissingExtensions",
    "expected_file",
    "load",
    "read_expected",
]

CORPUS = Path(__file__).absolute().parents[2] / "shared" / "corpus"
PSQL_TIMEOUT = 1800  # seconds; MusicBrainz and LedgerSMB take well under a minute
_TAIL_LINES = 30
_TSV_HEADER = ("tier", "kind", "schema", "table", "name", "expected", "evidence")
_ICU_COLLATION = re.compile(
    r"(CREATE COLLATION musicbrainz \(\s*)provider = icu,\s*locale = '[^']*'"
)
_LIBC_COLLATION = r"\1provider = libc, locale = 'C'"


@dataclass(frozen=True, slots=True)
class CorpusSchema:
    """How one corpus schema loads (``../shared/corpus/README.md``, "Load").

    :param key: the test id and the name of ``expected/<key>.tsv``.
    :param folder: the schema's folder, relative to the corpus.
    :param files: the ``psql -f`` files, relative to `folder`, in order.
    :param dbname: the database to create, or the one the file creates itself.
    :param connect_to: the database psql connects to, if not `dbname`; set only
        when the file creates `dbname` itself (no database is created then).
    :param c_locale: create the database from template0 with UTF8 and C locale.
    :param single_transaction: run psql with ``-1``.
    :param cwd: psql's working directory: ``"folder"`` (the files read paths
        relative to it) or ``"scratch"`` (a fresh temp dir, for files that write).
    :param extensions: contrib extensions the files create.
    :param min_tables: a floor for the tables a scan checks, so that a load
        into the wrong database cannot pass as a clean scan.
    """

    key: str
    folder: str
    files: tuple[str, ...]
    dbname: str
    connect_to: str | None = None
    c_locale: bool = False
    single_transaction: bool = False
    cwd: str = "scratch"
    extensions: tuple[str, ...] = ()
    min_tables: int = 1


SCHEMAS: tuple[CorpusSchema, ...] = (
    CorpusSchema(
        "pagila",
        "pagila",
        ("preamble.sql", "pagila-schema.sql"),
        "pagila",
        min_tables=22,
    ),
    CorpusSchema(
        "chinook_2018",
        "chinook/v1.4-2018-quoted",
        ("Chinook_PostgreSql_SerialPKs.sql",),
        "chinook_2018",
        min_tables=11,
    ),
    CorpusSchema(
        "chinook_v145",
        "chinook/v1.4.5",
        ("Chinook_PostgreSql_AutoIncrementPKs.sql",),
        "chinook_auto_increment",
        connect_to="postgres",
        min_tables=11,
    ),
    CorpusSchema(
        "adventureworks",
        "adventureworks",
        ("preamble.sql", "install.sql"),
        "Adventureworks",
        extensions=("uuid-ossp", "tablefunc"),
        min_tables=68,
    ),
    CorpusSchema(
        "musicbrainz",
        "musicbrainz",
        ("load.sql",),
        "musicbrainz_db",
        c_locale=True,
        cwd="folder",
        extensions=("cube", "earthdistance", "unaccent"),
        min_tables=513,
    ),
    CorpusSchema(
        "mediawiki",
        "mediawiki-1.34",
        ("tables.sql",),
        "mediawiki",
        single_transaction=True,
        min_tables=56,
    ),
    CorpusSchema(
        "ledgersmb",
        "ledgersmb",
        ("load.sql",),
        "lsmb",
        cwd="folder",
        min_tables=168,
    ),
    CorpusSchema(
        "danbooru",
        "danbooru",
        ("structure.sql",),
        "danbooru",
        extensions=("btree_gin", "fuzzystrmatch", "pg_trgm", "pgcrypto", "pgstattuple"),
        min_tables=66,
    ),
)


@dataclass(frozen=True, slots=True)
class ExpectedRow:
    """One row of ``expected/<key>.tsv``; `evidence` is not compared."""

    tier: str
    kind: str
    schema: str
    table: str
    name: str
    expected: str
    evidence: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str, str, str, str, str]:
        """Return the compared columns."""
        return (self.tier, self.kind, self.schema, self.table, self.name, self.expected)


@dataclass(frozen=True, slots=True)
class Loaded:
    """A corpus schema loaded on a server: the database to scan, and how long."""

    dsn: str
    dbname: str
    seconds: float
    patched: str = ""


class LoadError(Exception):
    """psql failed; the message names the command and ends with its output."""


class MissingExtensions(Exception):
    """The server lacks contrib extensions the schema creates."""

    def __init__(self, server: Server, names: list[str]) -> None:
        self.names = names
        super().__init__(
            f"PostgreSQL {server.major} in {server.bin_dir} lacks the extension(s)"
            f" {', '.join(names)}"
        )


def expected_file(corpus: Path, key: str, major: int) -> Path:
    """Return ``expected/<key>.pg<major>.tsv`` if it exists, else ``<key>.tsv``."""
    versioned = corpus / "expected" / f"{key}.pg{major}.tsv"
    return versioned if versioned.is_file() else corpus / "expected" / f"{key}.tsv"


def read_expected(path: Path) -> list[ExpectedRow]:
    """Read an expected-findings TSV (header first; may hold only the header)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or tuple(lines[0].split("\t")) != _TSV_HEADER:
        header = "\t".join(_TSV_HEADER)
        raise ValueError(f"{path}: the first line is not the header {header!r}")
    rows: list[ExpectedRow] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(_TSV_HEADER):
            raise ValueError(f"{path}:{number}: {len(cells)} columns, not 7")
        rows.append(ExpectedRow(*cells))
    return rows


def missing_extensions(server: Server, spec: CorpusSchema) -> list[str]:
    """Return the extensions `spec` needs that `server` cannot create."""
    if not spec.extensions:
        return []
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)",
            (list(spec.extensions),),
        ).fetchall()
    have = {str(name) for (name,) in rows}
    return [name for name in spec.extensions if name not in have]


def load(server: Server, spec: CorpusSchema, corpus: Path) -> Loaded:
    """Load `spec` into a fresh database on `server` and return where it is.

    :raises MissingExtensions: if the server lacks an extension the files need.
    :raises LoadError: if psql exits with an error.
    """
    missing = missing_extensions(server, spec)
    if missing:
        raise MissingExtensions(server, missing)
    began = time.monotonic()
    drop_database(server, spec.dbname)
    if spec.connect_to is None:
        _create_database(server, spec)
    with _prepared(server, spec, corpus) as (folder, cwd, patched):
        argv = [str(server.bin_dir / "psql"), "-X", "-v", "ON_ERROR_STOP=1"]
        if spec.single_transaction:
            argv.append("-1")
        argv += ["-d", spec.connect_to or spec.dbname]
        for name in spec.files:
            argv += ["-f", str(folder / name)]
        _run_psql(server, argv, cwd)
    return Loaded(
        server.dsn(spec.dbname), spec.dbname, time.monotonic() - began, patched
    )


@contextmanager
def _prepared(
    server: Server, spec: CorpusSchema, corpus: Path
) -> Iterator[tuple[Path, Path, str]]:
    """Yield the folder to read the files from, psql's cwd and any patch made.

    Everything written (CSV files, patched copies) goes to a temp dir removed
    afterwards; the corpus itself is only read.
    """
    source = corpus / spec.folder
    with tempfile.TemporaryDirectory(prefix=f"seqcheck-corpus-{spec.key}-") as tmp:
        scratch = Path(tmp)
        folder, patched = source, ""
        if spec.key == "musicbrainz" and not has_icu(server):
            folder = scratch / spec.folder
            shutil.copytree(source, folder)
            patched = _libc_collation(folder / "admin" / "sql" / "CreateCollations.sql")
        cwd = folder if spec.cwd == "folder" else scratch
        yield folder, cwd, patched


def _libc_collation(path: Path) -> str:
    """Switch MusicBrainz's ICU collation to libc; return what was changed."""
    path.chmod(0o644)
    text = path.read_text(encoding="utf-8")
    new, count = _ICU_COLLATION.subn(_LIBC_COLLATION, text)
    if count != 1:
        raise LoadError(f"{path}: expected one ICU CREATE COLLATION, found {count}")
    path.write_text(new, encoding="utf-8")
    return (
        "admin/sql/CreateCollations.sql: collation musicbrainz uses"
        " provider = libc, locale = 'C' (the server has no ICU)"
    )


def _psql_env(server: Server) -> dict[str, str]:
    env = {key: val for key, val in os.environ.items() if not key.startswith("PG")}
    env.update(
        PGHOST=str(server.socket_dir),
        PGPORT=str(server.port),
        PGUSER=server.user,
        PGCLIENTENCODING="UTF8",
    )
    return env


def _run_psql(server: Server, argv: list[str], cwd: Path) -> None:
    try:
        result = subprocess.run(
            argv,
            cwd=cwd,
            env=_psql_env(server),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=PSQL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise LoadError(f"{' '.join(argv)} (in {cwd}): {exc}") from exc
    if result.returncode != 0:
        tail = (result.stdout.splitlines() + result.stderr.splitlines())[-_TAIL_LINES:]
        raise LoadError(
            f"{' '.join(argv)} (in {cwd}) exited with status {result.returncode}:\n"
            + "\n".join(tail)
        )


def _create_database(server: Server, spec: CorpusSchema) -> None:
    query = pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(spec.dbname))
    if spec.c_locale:
        query += pgsql.SQL(
            " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
        )
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(query)
