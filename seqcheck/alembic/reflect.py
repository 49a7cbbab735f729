"""What autogenerate reflected, as shapes, and as it will read after the renames.

Stage: the Alembic plugin's edge to Alembic's and SQLAlchemy's internals. Imports
SQLAlchemy, Alembic and :mod:`seqcheck.catalog`'s queries and records.

Alembic 1.18+ reflects every table of a schema once, into the inspector's
``info_cache`` under ``alembic_<key>`` (``alembic_columns``,
``alembic_indexes``…), keyed by ``(schema, table)``, and compares from there.
:func:`patch` rewrites those entries into the state the renames leave behind
(tables and columns under their new names, constraint and index names as
derived, foreign keys pointing at the new names), so Alembic's own comparison
(:func:`compare_tables`) finds whatever differs *besides* the renames.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Column, UniqueConstraint

from seqcheck.alembic.shapes import ColumnShape, TableShape
from seqcheck.catalog import (
    Catalog,
    ServerInfo,
    load_query,
    queries,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from alembic.autogenerate.api import AutogenContext
    from alembic.operations.ops import UpgradeOps
    from sqlalchemy import Connection
    from sqlalchemy import Table as SATable
    from sqlalchemy.engine import Dialect, Inspector
    from sqlalchemy.types import TypeEngine

__all__ = [
    "KEYS",
    "Moves",
    "compare_tables",
    "conn_shape",
    "meta_shape",
    "patch",
    "read_catalog_via",
    "reflected",
]

TableKey = tuple[str | None, str]

#: The reflection Alembic caches per table (``alembic.autogenerate.compare.util``).
KEYS = (
    "columns",
    "pk_constraint",
    "foreign_keys",
    "indexes",
    "unique_constraints",
    "table_comment",
    "check_constraints",
    "table_options",
)
_EMPTY: dict[str, Any] = {
    "columns": [],
    "pk_constraint": {},
    "foreign_keys": [],
    "indexes": [],
    "unique_constraints": [],
    "table_comment": {"text": None},
    "check_constraints": [],
    "table_options": {},
}


def _tuples(row: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(tuple(v) if isinstance(v, list) else v for v in row)


def read_catalog_via(connection: Connection) -> Catalog:
    """Read seqcheck's catalog snapshot through a SQLAlchemy connection.

    The same ``sql/*.sql`` queries as :func:`seqcheck.catalog.read_catalog`, run
    on the migration's own connection and transaction through its DBAPI cursor,
    whatever the driver (psycopg, psycopg2, …).
    """
    cursor = connection.connection.cursor()

    def rows(concept: str, cls: Any) -> tuple[Any, ...]:
        cursor.execute(load_query(concept).as_string(None))
        make = cls._make
        return tuple(make(_tuples(row)) for row in cursor.fetchall())

    try:
        server: ServerInfo = rows("server", ServerInfo)[0]
        return Catalog(server, *(rows(*query) for query in queries(server.major)))
    finally:
        cursor.close()


def reflected(inspector: Inspector, key: str, schema: str | None, table: str) -> Any:
    """Return one table's reflection for *key*, from Alembic's cache if there."""
    cache = inspector.info_cache.get(f"alembic_{key}")
    if isinstance(cache, dict) and (schema, table) in cache:
        return cache[(schema, table)]
    try:
        return getattr(inspector, f"get_{key}")(table, schema=schema)
    except NotImplementedError:
        return copy.deepcopy(_EMPTY[key])


def _type_key(type_: TypeEngine[Any], dialect: Dialect) -> tuple[str, str]:
    """Return ``(family, spelling)`` of a type: its affinity and its DDL."""
    affinity = getattr(type_, "_type_affinity", None)
    family = affinity.__name__ if isinstance(affinity, type) else type(type_).__name__
    try:
        spelled = type_.compile(dialect=dialect)
    except Exception:  # a type the dialect cannot spell (NullType): its class
        spelled = type(type_).__name__
    return family, " ".join(str(spelled).upper().split())


def _check_text(text: object) -> str:
    return re.sub(r"[\s()]+", "", str(text)).lower()


def conn_shape(
    inspector: Inspector, dialect: Dialect, schema: str | None, table: str
) -> TableShape:
    """Return the shape of a table as the database has it (from the cache)."""
    columns = reflected(inspector, "columns", schema, table)
    pk = set(
        (reflected(inspector, "pk_constraint", schema, table) or {}).get(
            "constrained_columns"
        )
        or ()
    )
    features: list[tuple[str, ...]] = []
    unique: set[str] = set()
    indexed: set[str] = set()
    references: dict[str, str] = {}
    for uq in reflected(inspector, "unique_constraints", schema, table):
        names = tuple(uq.get("column_names") or ())
        features.append(("unique", *names))
        if len(names) == 1:
            unique.add(names[0])
    for fk in reflected(inspector, "foreign_keys", schema, table):
        mine = tuple(fk.get("constrained_columns") or ())
        theirs = tuple(fk.get("referred_columns") or ())
        referred = str(fk.get("referred_table") or "")
        features.append(("foreign key", *mine, "->", referred, *theirs))
        if len(mine) == 1 and len(theirs) == 1:
            references[mine[0]] = f"{referred}.{theirs[0]}"
    for ix in reflected(inspector, "indexes", schema, table):
        if ix.get("duplicates_constraint"):
            continue
        names = tuple(c for c in ix.get("column_names") or () if c is not None)
        if len(names) != len(ix.get("column_names") or ()):
            continue  # an expression index: compared by Alembic, not here
        features.append(("index", "unique" if ix.get("unique") else "", *names))
        if len(names) == 1:
            (unique if ix.get("unique") else indexed).add(names[0])
    for ck in reflected(inspector, "check_constraints", schema, table):
        features.append(("check", _check_text(ck.get("sqltext", ""))))
    shapes = []
    for col in columns:
        family, spelled = _type_key(col["type"], dialect)
        name = col["name"]
        shapes.append(
            ColumnShape(
                name,
                family,
                spelled,
                bool(col.get("nullable", True)),
                name in pk,
                name in unique,
                name in indexed,
                references.get(name, ""),
            )
        )
    return TableShape(schema, table, tuple(shapes), tuple(features))


def meta_shape(table: SATable, dialect: Dialect, schema: str | None) -> TableShape:
    """Return the shape of a model table (*schema* as the comparison keys it)."""
    features: list[tuple[str, ...]] = []
    unique: set[str] = set()
    indexed: set[str] = set()
    references: dict[str, str] = {}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            names = tuple(c.name for c in constraint.columns)
            features.append(("unique", *names))
            if len(names) == 1:
                unique.add(names[0])
        elif isinstance(constraint, CheckConstraint):
            if getattr(constraint, "_type_bound", False):
                continue  # Boolean / Enum checks that types add by themselves
            features.append(("check", _check_text(constraint.sqltext)))
    for fkc in table.foreign_key_constraints:
        mine = tuple(c.name for c in fkc.columns)
        targets = [e.target_fullname.rsplit(".", 2) for e in fkc.elements]
        referred = targets[0][-2] if targets and len(targets[0]) >= 2 else ""
        theirs = tuple(t[-1] for t in targets)
        features.append(("foreign key", *mine, "->", referred, *theirs))
        if len(mine) == 1 and len(theirs) == 1:
            references[mine[0]] = f"{referred}.{theirs[0]}"
    for index in table.indexes:
        exprs = list(index.expressions)
        if not all(isinstance(e, Column) for e in exprs):
            continue
        names = tuple(e.name for e in exprs if isinstance(e, Column))
        features.append(("index", "unique" if index.unique else "", *names))
        if len(names) == 1:
            (unique if index.unique else indexed).add(names[0])
    shapes = []
    for column in table.columns:
        family, spelled = _type_key(column.type, dialect)
        shapes.append(
            ColumnShape(
                column.name,
                family,
                spelled,
                bool(column.nullable),
                bool(column.primary_key),
                column.name in unique,
                column.name in indexed,
                references.get(column.name, ""),
            )
        )
    return TableShape(schema, table.name, tuple(shapes), tuple(features))


@dataclass(frozen=True, slots=True)
class Moves:
    """Everything :func:`patch` renames, keyed as the comparison keys tables.

    :param tables: ``(schema, old) → new`` table names.
    :param columns: ``(schema, old table) → {old column: new column}``.
    :param objects: ``(schema, new table) → {old name: new name}`` for its
        primary key, unique constraints, foreign keys, checks and indexes.
    :param sequences: ``schema → {old sequence: new sequence}``.
    :param serial: ``schema → sequences owned by a column (serial)``: a default
        ``nextval('…'::regclass)`` on one of them is dropped from the reflection,
        as Alembic's PostgreSQL support drops it when it reflects a serial
        column (it asks the server, which knows only the old names).
    """

    tables: Mapping[TableKey, str]
    columns: Mapping[TableKey, Mapping[str, str]]
    objects: Mapping[TableKey, Mapping[str, str]] = field(default_factory=dict)
    sequences: Mapping[str | None, Mapping[str, str]] = field(default_factory=dict)
    serial: Mapping[str | None, frozenset[str]] = field(default_factory=dict)

    def after(self, key: TableKey) -> TableKey:
        """Return the key of table *key* after the renames."""
        return (key[0], self.tables.get(key, key[1]))


_NEXTVAL = re.compile(r"nextval\('(.+?)'::regclass\)")


def _unquoted(name: str) -> str:
    """Return the last part of a possibly qualified, quoted relation name."""
    parts = re.findall(r'"((?:[^"]|"")*)"|([^."]+)', name)
    if not parts:
        return name
    quoted, plain = parts[-1]
    return str(quoted).replace('""', '"') if quoted else str(plain)


def _words(mapping: Mapping[str, str]) -> re.Pattern[str] | None:
    if not mapping:
        return None
    alternatives = "|".join(
        re.escape(n) for n in sorted(mapping, key=len, reverse=True)
    )
    return re.compile(rf'(?<![\w"])({alternatives})(?![\w"])|"({alternatives})"')


def _rewrite_text(text: str, mapping: Mapping[str, str]) -> str:
    """Rename column references in an expression's text (best effort)."""
    pattern = _words(mapping)
    if pattern is None:
        return text

    def swap(match: re.Match[str]) -> str:
        if match[1] is not None:
            return mapping[match[1]]
        return '"' + mapping[match[2]].replace('"', '""') + '"'

    return pattern.sub(swap, text)


def patch(inspector: Inspector, moves: Moves, keys: Iterable[TableKey]) -> None:
    """Rewrite the cached reflection of *keys* into the state after *moves*.

    Each table in *keys* is re-keyed under its new name with its columns,
    constraint and index names, foreign key targets and expression texts as the
    renames leave them. Tables not in *keys* are untouched.
    """
    keys = list(keys)
    for key in KEYS:
        name = f"alembic_{key}"
        cache = inspector.info_cache.get(name)
        if not isinstance(cache, dict):
            cache = inspector.info_cache[name] = {}
        fresh = {
            moves.after(k): _moved(
                key, copy.deepcopy(reflected(inspector, key, *k)), k, moves
            )
            for k in keys
        }
        for k in keys:
            cache.pop(k, None)
        cache.update(fresh)


def _moved(key: str, value: Any, table: TableKey, moves: Moves) -> Any:
    schema = table[0]
    columns = moves.columns.get(table, {})
    objects = moves.objects.get(moves.after(table), {})

    def col(name: Any) -> Any:
        return columns.get(name, name) if isinstance(name, str) else name

    def obj(name: Any) -> Any:
        return objects.get(str(name), name) if name is not None else None

    if key == "columns":
        serial = moves.serial.get(schema, frozenset())
        for entry in value:
            entry["name"] = col(entry["name"])
            default = entry.get("default")
            found = _NEXTVAL.fullmatch(default) if isinstance(default, str) else None
            if found is not None and _unquoted(found[1]) in serial:
                del entry["default"]
    elif key == "pk_constraint" and value:
        value["name"] = obj(value.get("name"))
        value["constrained_columns"] = [
            col(c) for c in value.get("constrained_columns") or ()
        ]
    elif key == "foreign_keys":
        for fk in value:
            fk["name"] = obj(fk.get("name"))
            fk["constrained_columns"] = [col(c) for c in fk["constrained_columns"]]
            referred: TableKey = (fk.get("referred_schema"), fk["referred_table"])
            theirs = moves.columns.get(referred, {})
            fk["referred_table"] = moves.after(referred)[1]
            fk["referred_columns"] = [theirs.get(c, c) for c in fk["referred_columns"]]
    elif key in ("indexes", "unique_constraints"):
        for entry in value:
            entry["name"] = obj(entry.get("name"))
            entry["column_names"] = [col(c) for c in entry.get("column_names") or ()]
            if entry.get("duplicates_constraint"):
                entry["duplicates_constraint"] = obj(entry["duplicates_constraint"])
            if entry.get("duplicates_index"):
                entry["duplicates_index"] = obj(entry["duplicates_index"])
            if "include_columns" in entry:
                entry["include_columns"] = [col(c) for c in entry["include_columns"]]
            exprs = entry.get("expressions")
            if exprs:
                entry["expressions"] = [_rewrite_text(e, columns) for e in exprs]
            options = entry.get("dialect_options") or {}
            if "postgresql_include" in options:
                options["postgresql_include"] = [
                    col(c) for c in options["postgresql_include"]
                ]
            if isinstance(options.get("postgresql_where"), str):
                options["postgresql_where"] = _rewrite_text(
                    options["postgresql_where"], columns
                )
    elif key == "check_constraints":
        for entry in value:
            entry["name"] = obj(entry.get("name"))
            entry["sqltext"] = _rewrite_text(str(entry.get("sqltext", "")), columns)
    return value


def compare_tables(
    autogen_context: AutogenContext,
    upgrade_ops: UpgradeOps,
    conn_tables: Iterable[TableKey],
    metadata_tables: Iterable[SATable],
) -> None:
    """Compare some tables the way autogenerate compares every table.

    Uses Alembic's own ``_compare_tables`` (``alembic.autogenerate.compare.tables``,
    stable since 1.0), so created, dropped and changed tables come out exactly
    as they would without the plugin, against the patched reflection.
    """
    from alembic.autogenerate.compare.tables import _compare_tables
    from sqlalchemy.util import OrderedSet

    _compare_tables(
        set(conn_tables),
        OrderedSet([(t.schema, t.name) for t in metadata_tables]),
        autogen_context.inspector,
        upgrade_ops,
        autogen_context,
    )
