"""Schemas built twice: once under final names, once under old names then renamed.

Test helper. :func:`compare` scans the renamed build and checks that it lists
exactly the names that differ from the fresh build, with the fresh names as
expected names.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from seqcheck import verify
from seqcheck.apply import apply_plan, read_lock_table
from seqcheck.catalog import Catalog, read_catalog
from seqcheck.drift import Scope, find_drift
from seqcheck.embedded import Server
from seqcheck.evidence import today_middle
from seqcheck.findings import Kind, Tier
from seqcheck.naming import encoding_for
from seqcheck.pipeline import scan_connection
from seqcheck.plan import make_plan
from seqcheck.rules import RULES
from tests.fix_server import drop_database

__all__ = [
    "Column",
    "Ident",
    "Spec",
    "TableSpec",
    "compare",
    "compare_catalogs",
    "database",
    "identities",
]

_numbers = itertools.count(1)


@dataclass(frozen=True)
class Column:
    """A column: its old and final name, and what hangs on it."""

    old: str
    new: str
    unique: bool = False
    check: bool = False
    indexed: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A table with an ``id`` key (serial or identity) and optional extras."""

    old: str
    new: str
    columns: tuple[Column, ...] = ()
    identity: bool = False
    references: int | None = None  # index of an earlier table, via column "ref"
    ref_old: str = "ref"
    ref_new: str = "ref"
    pair_index: bool = False  # an index on the first two columns
    expression_index: bool = False
    two_column_check: bool = False
    statistics: bool = False


@dataclass(frozen=True)
class Spec:
    """A whole schema."""

    tables: tuple[TableSpec, ...] = field(default_factory=tuple)


def _q(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def ddl(spec: Spec, *, final: bool, major: int) -> list[sql.Composed]:
    """Return the statements that build *spec* under final or old names."""
    out: list[sql.Composed] = []
    for number, table in enumerate(spec.tables):
        tname = table.new if final else table.old
        key = "int GENERATED ALWAYS AS IDENTITY" if table.identity else "serial"
        items: list[sql.Composed] = [sql.SQL("id {} PRIMARY KEY").format(sql.SQL(key))]
        for col in table.columns:
            cname = col.new if final else col.old
            item = sql.SQL("{} int").format(_q(cname))
            if col.unique:
                item = sql.SQL("{} UNIQUE").format(item)
            if col.check:
                item = sql.SQL("{} CHECK ({} > 0)").format(item, _q(cname))
            items.append(item)
        if table.references is not None:
            target = spec.tables[table.references]
            rname = table.ref_new if final else table.ref_old
            items.append(
                sql.SQL("{} int REFERENCES {}").format(
                    _q(rname), _q(target.new if final else target.old)
                )
            )
        names = [c.new if final else c.old for c in table.columns]
        if table.two_column_check and len(names) >= 2:
            items.append(sql.SQL("CHECK ({} < {})").format(_q(names[0]), _q(names[1])))
        out.append(
            sql.SQL("CREATE TABLE {} ({})").format(_q(tname), sql.SQL(", ").join(items))
        )
        for col, cname in zip(table.columns, names, strict=True):
            if col.indexed:
                out.append(
                    sql.SQL("CREATE INDEX ON {} ({})").format(_q(tname), _q(cname))
                )
        if table.pair_index and len(names) >= 2:
            out.append(
                sql.SQL("CREATE INDEX ON {} ({}, {})").format(
                    _q(tname), _q(names[0]), _q(names[1])
                )
            )
        if table.expression_index and names:
            out.append(
                sql.SQL("CREATE INDEX ON {} (abs({}))").format(_q(tname), _q(names[0]))
            )
        if table.statistics and len(names) >= 2 and major >= 16:
            out.append(
                sql.SQL("CREATE STATISTICS ON {}, {} FROM {}").format(
                    _q(names[0]), _q(names[1]), _q(tname)
                )
            )
        del number
    return out


def renames(spec: Spec) -> list[sql.Composed]:
    """Return the renames that turn the old build into the final names."""
    out: list[sql.Composed] = []
    temp = [f"seqcheck_tmp_{n}" for n in range(len(spec.tables))]
    # Through temporary names, so swaps and chains work.
    for table, tmp in zip(spec.tables, temp, strict=True):
        if table.old != table.new:
            out.append(
                sql.SQL("ALTER TABLE {} RENAME TO {}").format(_q(table.old), _q(tmp))
            )
    for table, tmp in zip(spec.tables, temp, strict=True):
        if table.old != table.new:
            out.append(
                sql.SQL("ALTER TABLE {} RENAME TO {}").format(_q(tmp), _q(table.new))
            )
    for table in spec.tables:
        moves = [(c.old, c.new) for c in table.columns if c.old != c.new]
        if table.references is not None and table.ref_old != table.ref_new:
            moves.append((table.ref_old, table.ref_new))
        for n, (old, _) in enumerate(moves):
            out.append(
                sql.SQL("ALTER TABLE {} RENAME COLUMN {} TO {}").format(
                    _q(table.new), _q(old), _q(f"seqcheck_col_{n}")
                )
            )
        for n, (_, new) in enumerate(moves):
            out.append(
                sql.SQL("ALTER TABLE {} RENAME COLUMN {} TO {}").format(
                    _q(table.new), _q(f"seqcheck_col_{n}"), _q(new)
                )
            )
    return out


@contextmanager
def database(server: Server) -> Iterator[str]:
    """Create a scratch database on *server*; drop it afterwards."""
    name = f"rn_{next(_numbers)}"
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(_q(name)))
    try:
        yield server.dsn(name)
    finally:
        drop_database(server, name)


def run(dsn: str, statements: list[sql.Composed]) -> Catalog:
    """Run *statements*, then return the catalog."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
        return read_catalog(conn)


# An object by what it is, not what it is called: schema, kind, owner,
# today's middle, number among equals (in OID order).
Ident = tuple[Any, ...]


def identities(catalog: Catalog) -> dict[Ident, tuple[str, str]]:
    """Map each named object to its schema and name.

    The schema is in key and value: a second schema may hold tables, and
    stale names, of the same names.
    """
    enc = encoding_for(catalog.server.encoding)
    tables = {t.oid: t for t in catalog.tables}
    spaces = {s.oid: s.name for s in catalog.schemas}
    seen: dict[Ident, int] = {}
    out: dict[Ident, tuple[str, str]] = {}
    subjects = sorted(
        (s for rule in RULES for s in rule.subjects(catalog, tables)),
        key=lambda s: s.oid,
    )
    for subject in subjects:
        middle = today_middle(subject, enc)
        if subject.any_order and middle is not None:
            middle = "_".join(sorted(middle.split("_")))
        space = spaces[subject.schema_oid]
        key = (space, subject.kind, subject.owner, middle)
        seen[key] = seen.get(key, 0) + 1
        out[(*key, seen[key])] = (space, subject.name)
    return out


def compare(server: Server, spec: Spec, *, fix: bool = True) -> None:
    """Build *spec* both ways on *server* and check the scan of the renamed one.

    With *fix*, then apply the plan: every name must equal the fresh build's,
    with the same OIDs and sequence positions as before.
    """
    with database(server) as fresh_dsn, database(server) as old_dsn:
        fresh = run(fresh_dsn, ddl(spec, final=True, major=server.major))
        renamed = run(
            old_dsn, [*ddl(spec, final=False, major=server.major), *renames(spec)]
        )
        compare_catalogs(fresh, renamed, old_dsn if fix else None)


def compare_catalogs(fresh: Catalog, renamed: Catalog, old_dsn: str | None) -> None:
    """Check the scan of *renamed* against *fresh*; then fix it at *old_dsn*.

    The findings (certain and likely, index columns aside) must map exactly
    the names that differ to the fresh build's names, except the rows for
    referenced partitions (12–17), which follow their foreign key (DESIGN.md,
    "What is judged at all"): fix renames them with the key. With *old_dsn*,
    :func:`_fix_and_compare` then.
    """
    want = identities(fresh)
    have = identities(renamed)
    assert want.keys() == have.keys()
    differ = {have[k]: want[k] for k in want if want[k] != have[k]}
    drift = find_drift(renamed, Scope())
    found = {
        (f.schema, f.name): (f.schema, f.expected)
        for f in drift.findings
        if f.tier in (Tier.CERTAIN, Tier.LIKELY) and f.kind is not Kind.INDEX_COLUMN
    }
    following = _following(renamed, set(found))
    assert found == {k: v for k, v in differ.items() if k not in following}
    if old_dsn is not None:
        _fix_and_compare(old_dsn, want)


def _following(catalog: Catalog, found: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Return the rows for referenced partitions whose key is in *found*."""
    tables = {t.oid: t for t in catalog.tables}
    spaces = {s.oid: s.name for s in catalog.schemas}
    subjects = [s for rule in RULES for s in rule.subjects(catalog, tables)]
    names = {s.oid: (spaces[s.schema_oid], s.name) for s in subjects}
    return {
        names[s.oid] for s in subjects if s.key_oid and names.get(s.key_oid) in found
    }


def _oids(catalog: Catalog) -> set[int]:
    return (
        {i.oid for i in catalog.indexes}
        | {c.oid for c in catalog.constraints}
        | {s.oid for s in catalog.sequences}
        | {s.oid for s in catalog.statistics}
    )


def _positions(conn: psycopg.Connection[Any], catalog: Catalog) -> dict[int, Any]:
    """Return ``(last_value, is_called)`` of every owned sequence, by OID.

    Through ``regclass``: the sequence may be in any schema.
    """
    out: dict[int, Any] = {}
    for seq in catalog.sequences:
        row = conn.execute("SELECT %s::oid::regclass::text", (seq.oid,)).fetchone()
        assert row is not None
        query = f"SELECT last_value, is_called FROM {row[0]}"
        out[seq.oid] = conn.execute(query.encode()).fetchone()
    return out


def _fix_and_compare(dsn: str, want: dict[Ident, tuple[str, str]]) -> None:
    """Run ``fix --apply``'s engine; the names must then equal the fresh build's.

    As the command does: sure renames are sent while drift is judged
    (:mod:`seqcheck.ahead`), the rest with the plan.
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        before = read_catalog(conn)
        positions = _positions(conn, before)
        found = scan_connection(conn, ahead=read_lock_table(conn))
        plan = found.plan
        drift = find_drift(before, Scope())
        assert plan == make_plan(drift, before)
        # The forecast judges only the tables the plan touches: as all would.
        forecast = verify.predicted(before, verify.renames(plan.steps))
        only = verify.touched(before, forecast, drift.findings)
        assert find_drift(forecast, only=only) == find_drift(forecast)
        try:
            result = apply_plan(
                conn,
                plan,
                catalog=found.catalog,
                ahead=found.ahead,
                findings=found.drift.findings,
            )
        finally:
            if found.ahead is not None:
                found.ahead.close()
        assert result.forecast or not plan.steps  # the names after as predicted
        after = read_catalog(conn)
        truth = find_drift(after)
        assert (result.drift.findings, result.drift.rows) == (
            truth.findings,
            truth.rows,
        )
        assert result.drift.tables_checked == truth.tables_checked
        assert _positions(conn, after) == positions
    assert identities(after) == want
    assert _oids(after) == _oids(before)


def compare_scripts(server: Server, fresh_sql: str, old_sql: str) -> None:
    """Like :func:`compare`, for schemas written as SQL (partitions, inheritance)."""
    with database(server) as fresh_dsn, database(server) as old_dsn:
        with psycopg.connect(fresh_dsn, autocommit=True) as conn:
            conn.execute(fresh_sql.encode())
            want = identities(read_catalog(conn))
        with psycopg.connect(old_dsn, autocommit=True) as conn:
            conn.execute(old_sql.encode())
            have = identities(read_catalog(conn))
        assert want.keys() == have.keys()
        _fix_and_compare(old_dsn, want)
