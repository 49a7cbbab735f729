"""Catalog snapshot: runs each ``sql/*.sql`` query once and returns frozen records.

Stage: catalog (an edge: it reads from the server). Imports psycopg and
:mod:`seqcheck.errors`. The number of queries is fixed; it never grows with the
schema. Where an old server lacks a column, a ``<concept>.pgNN.sql`` variant is
chosen here; SQL text is never edited.
"""

from __future__ import annotations

import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import psycopg
from psycopg import Pipeline, sql
from psycopg.adapt import Buffer, Loader
from psycopg.conninfo import make_conninfo
from psycopg.pq import Format

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Catalog",
    "Constraint",
    "Index",
    "Schema",
    "Sequence_",
    "ServerInfo",
    "Statistic",
    "Table",
    "TakenName",
    "TextSource",
    "queries",
    "read_catalog",
    "read_server_info",
]

log = logging.getLogger(__name__)

R = TypeVar("R")


class ServerInfo(NamedTuple):
    """What the rules need to know about the server."""

    version_num: int
    version: str
    encoding: str
    database: str
    user: str

    @property
    def major(self) -> int:
        """Return the major version (15, 18…)."""
        return self.version_num // 10000


class Schema(NamedTuple):
    """A non-system schema; ``usable`` is whether this role has USAGE on it."""

    oid: int
    name: str
    usable: bool


class Table(NamedTuple):
    """A table, partitioned table, foreign table or materialized view."""

    oid: int
    schema_oid: int
    name: str
    relkind: str
    is_partition: bool
    parents: tuple[int, ...]
    attnums: tuple[int, ...]
    columns: tuple[str, ...]
    from_extension: bool

    def column(self, attnum: int) -> str | None:
        """Return the current name of column *attnum*, if it exists."""
        try:
            return self.columns[self.attnums.index(attnum)]
        except ValueError:
            return None


class Sequence_(NamedTuple):
    """A sequence owned by a table column (serial: ``a``, identity: ``i``)."""

    oid: int
    schema_oid: int
    name: str
    table_oid: int
    attnum: int
    column_name: str
    deptype: str
    from_extension: bool


class Index(NamedTuple):
    """An index, with the constraint it backs (``p``, ``u``, ``x`` or ``""``).

    ``table_attnums[k]`` is the table column at position *k* (0: expression);
    ``stored_names[k]`` is the column name stored in the index itself.
    """

    oid: int
    schema_oid: int
    name: str
    relkind: str
    table_oid: int
    valid: bool
    key_count: int
    constraint_type: str
    constraint_oid: int
    parent_oid: int
    table_attnums: tuple[int, ...]
    stored_names: tuple[str, ...]
    from_extension: bool


class Constraint(NamedTuple):
    """A foreign key (``f``), check (``c``), NOT NULL (``n``) or domain constraint."""

    oid: int
    schema_oid: int
    name: str
    contype: str
    table_oid: int
    domain_oid: int
    domain_name: str
    attnums: tuple[int, ...]
    column_names: tuple[str, ...]
    is_local: bool
    inherit_count: int
    parent_oid: int
    references_oid: int
    ref_column_names: tuple[str, ...] = ()


class Statistic(NamedTuple):
    """An extended statistics object: columns in attnum order, then expressions."""

    oid: int
    schema_oid: int
    name: str
    table_oid: int
    column_names: tuple[str, ...]
    expression_count: int


class TakenName(NamedTuple):
    """Names in use in a schema's namespace: relation, constraint, statistics, type."""

    schema_oid: int
    space: str
    names: tuple[str, ...]


class TextSource(NamedTuple):
    """A text that may name objects, looked up at run time (NAMING.md §5.3).

    :param kind: ``default`` (a column default that casts to regclass at run
        time), ``function`` or ``procedure`` (its source body).
    :param owner: the table, or the routine as ``name(argument types)``.
    :param detail: the column of a default; the language of a routine.
    """

    kind: str
    schema: str
    owner: str
    detail: str
    text: str


@dataclass(frozen=True, slots=True)
class Catalog:
    """One consistent snapshot of everything the rules read."""

    server: ServerInfo
    schemas: tuple[Schema, ...]
    tables: tuple[Table, ...]
    sequences: tuple[Sequence_, ...]
    indexes: tuple[Index, ...]
    constraints: tuple[Constraint, ...]
    statistics: tuple[Statistic, ...]
    names: tuple[TakenName, ...] = field(default=())
    texts: tuple[TextSource, ...] = field(default=())


def _sql_dir() -> Path:
    here = Path(__file__).resolve().parent
    packaged = here / "sql"
    return packaged if packaged.is_dir() else here.parent / "sql"


@cache
def load_query(concept: str) -> sql.SQL:
    """Return the query in ``sql/<concept>.sql``."""
    text = (_sql_dir() / f"{concept}.sql").read_text(encoding="utf-8")
    # Trusted text shipped with seqcheck (mypy treats LiteralString as str).
    return sql.SQL(text)


class _RawText(Loader):
    """Load text as SQL_ASCII stores it: raw bytes, kept as surrogate escapes."""

    def load(self, data: Buffer) -> str:
        return bytes(data).decode("utf-8", "surrogateescape")


class _RawTextBinary(_RawText):
    format = Format.BINARY


_NO_PARALLEL = sql.SQL(
    "SELECT pg_catalog.set_config('max_parallel_workers_per_gather', '0', true)"
)
# A snapshot to share when pg_class takes %(size)s bytes or more.
_EXPORT = sql.SQL(
    "SELECT pg_catalog.pg_export_snapshot(),"
    " pg_catalog.current_setting('statement_timeout')"
    " WHERE pg_catalog.pg_relation_size('pg_catalog.pg_class') >= %(size)s"
)
_BEGIN = sql.SQL("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
_IMPORT = sql.SQL("SET TRANSACTION SNAPSHOT {}")
_SETTINGS = sql.SQL(
    "SELECT pg_catalog.set_config('statement_timeout', %(timeout)s, true),"
    " pg_catalog.set_config('jit', 'off', true),"
    " pg_catalog.set_config('max_parallel_workers_per_gather', '0', true)"
)
_ROLLBACK = sql.SQL("ROLLBACK")


def _prepare(conn: psycopg.Connection[Any]) -> None:
    """Register the loaders the records need on *conn*.

    Arrays keep psycopg's default (C) binary loader, which returns lists;
    :func:`_build` turns them into tuples.
    """
    if conn.info.encoding == "ascii":  # SQL_ASCII: names are bytes, not text
        for loader in (_RawText, _RawTextBinary):
            conn.adapters.register_loader("text", loader)


def _array_columns(
    conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any]
) -> list[int]:
    """Return the positions of the array-typed columns of *cur*'s result."""
    types = conn.adapters.types
    found = []
    for i, column in enumerate(cur.description or ()):
        info = types.get(column.type_code)
        if info is not None and info.array_oid == column.type_code:
            found.append(i)
    return found


def _build(
    conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], cls: type[R]
) -> tuple[R, ...]:
    """Fetch *cur*'s rows and build one *cls* per row, arrays as tuples."""
    rows: Sequence[Sequence[Any]] = cur.fetchall()
    make = cls._make  # type: ignore[attr-defined]
    arrays = _array_columns(conn, cur)
    if not rows or not arrays:
        return tuple(map(make, rows))
    columns: list[Any] = list(zip(*rows, strict=True))
    # Equal arrays become one tuple: column lists repeat from table to table.
    same: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for i in arrays:
        columns[i] = [
            None if v is None else same.setdefault(t := tuple(v), t) for v in columns[i]
        ]
    return tuple(map(make, zip(*columns, strict=True)))


def _records(
    conn: psycopg.Connection[Any], concept: str, cls: type[R]
) -> tuple[R, ...]:
    """Run ``sql/<concept>.sql`` and build one *cls* per row."""
    with conn.cursor(binary=True) as cur:
        cur.execute(load_query(concept))
        return _build(conn, cur, cls)


def queries(major: int) -> tuple[tuple[str, type[Any]], ...]:
    """Return the catalog's queries for a *major* server: concept and record type.

    In the order of :class:`Catalog`'s fields after ``server``.
    """
    return (
        ("schemas", Schema),
        ("relations", Table),
        ("sequences", Sequence_),
        ("indexes", Index),
        ("constraints", Constraint),
        ("statistics" if major >= 14 else "statistics.pg12", Statistic),
        ("names", TakenName),
        ("text_references", TextSource),
    )


def read_server_info(conn: psycopg.Connection[Any]) -> ServerInfo:
    """Return the server's version, encoding and database name."""
    _prepare(conn)
    return _records(conn, "server", ServerInfo)[0]


def read_catalog(
    conn: psycopg.Connection[Any],
    server: ServerInfo | None = None,
    *,
    beside_from: int | None = None,
) -> Catalog:
    """Read the whole snapshot with a fixed number of set-based queries.

    Parallel workers are turned off for the rest of the transaction (their
    start-up costs more than these catalog queries gain on small machines).

    :param beside_from: inside a REPEATABLE READ transaction, when
        ``pg_class`` takes at least this many bytes, the index and constraint
        queries run on a second connection that imports this transaction's
        snapshot (``pg_export_snapshot``, as ``pg_dump -j`` does): another
        server process, at the same time. If that connection cannot be made
        or used, they run here after the others.
    """
    server = server or read_server_info(conn)
    _prepare(conn)
    wanted = queries(server.major)
    conn.execute(_NO_PARALLEL)
    shared = _exported(conn, beside_from) if beside_from is not None else None
    if shared is None:
        parts = _read(conn, wanted)
    else:
        here = [w for w in wanted if w[0] not in _BESIDE]
        there = [w for w in wanted if w[0] in _BESIDE]
        with ThreadPoolExecutor(1) as pool:
            beside = pool.submit(_read_beside, conn, shared, there)
            read = dict(zip((c for c, _ in here), _read(conn, here), strict=True))
            got = beside.result()
        if got is None:
            got = _read(conn, there)
        read.update(zip((c for c, _ in there), got, strict=True))
        parts = [read[concept] for concept, _ in wanted]
    catalog = Catalog(server, *parts)
    if sum(map(len, parts)) >= _LARGE:
        _release_freed_memory()
    log.debug(
        "catalog: %d tables, %d indexes, %d constraints",
        len(catalog.tables),
        len(catalog.indexes),
        len(catalog.constraints),
    )
    return catalog


#: Records from which a catalog is large enough to give back what its read freed.
_LARGE = 20_000


def _release_freed_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``).

    libpq builds each result in small blocks of the C heap; freed once the
    records are made, they would stay resident (Python allocates its objects
    elsewhere): some 40 MB for 10,000 tables. A no-op without glibc.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # only for large catalogs: 3 ms to import

    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


#: The queries a second connection runs (about half of the server's work).
_BESIDE = {"indexes", "constraints"}


def _read(
    conn: psycopg.Connection[Any], wanted: Sequence[tuple[str, type[Any]]]
) -> list[tuple[Any, ...]]:
    """Run the *wanted* queries on *conn*; return their records, in order."""
    if not Pipeline.is_supported():
        return [_records(conn, concept, cls) for concept, cls in wanted]
    # One round trip: the server runs query N+1 while Python loads query N.
    with ExitStack() as stack, conn.pipeline():
        cursors = [stack.enter_context(conn.cursor(binary=True)) for _ in wanted]
        for cur, (concept, _) in zip(cursors, wanted, strict=True):
            cur.execute(load_query(concept))
        parts = []
        for cur, (_, cls) in zip(cursors, wanted, strict=True):
            parts.append(_build(conn, cur, cls))
            cur.close()  # its rows are records now: free them before the next
        return parts


class _Shared(NamedTuple):
    """A transaction's exported snapshot, and the settings its queries run with."""

    snapshot: str
    statement_timeout: str


def _exported(conn: psycopg.Connection[Any], beside_from: int) -> _Shared | None:
    """Export *conn*'s snapshot if ``pg_class`` is large enough to share the work."""
    row = conn.execute(_EXPORT, {"size": beside_from}).fetchone()
    if row is None or row[0] is None:
        return None
    return _Shared(str(row[0]), str(row[1]))


def _read_beside(
    conn: psycopg.Connection[Any],
    shared: _Shared,
    wanted: Sequence[tuple[str, type[Any]]],
) -> list[tuple[Any, ...]] | None:
    """Run *wanted* on a new connection in *shared*'s snapshot; ``None`` if it fails.

    The connection takes *conn*'s parameters (password included) and the
    host and port *conn* reached.
    """
    try:
        params = {
            o.keyword.decode(): o.val.decode("utf-8", "surrogateescape")
            for o in conn.pgconn.info
            if o.val is not None
            and o.keyword.decode() not in {"host", "hostaddr", "port"}
        }
        params["host"] = conn.info.host
        params["port"] = str(conn.info.port)
        if conn.info.hostaddr:  # NotSupportedError before libpq 12
            params["hostaddr"] = conn.info.hostaddr
        conninfo = make_conninfo("", **params)
        with psycopg.connect(conninfo, autocommit=True) as other:
            _prepare(other)
            other.execute(_BEGIN)
            other.execute(_IMPORT.format(sql.Literal(shared.snapshot)))
            other.execute(_SETTINGS, {"timeout": shared.statement_timeout})
            parts = _read(other, wanted)
            other.execute(_ROLLBACK)
    except psycopg.Error as exc:
        log.debug("the second connection failed (%s): reading on one", exc)
        return None
    log.debug("%s read on a second connection", ", ".join(c for c, _ in wanted))
    return parts
