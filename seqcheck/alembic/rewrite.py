"""Rewrite autogenerate's drop + create into renames, and renames' consequences.

Stage: the Alembic plugin's driver. Runs after Alembic's table comparison on
the operations it produced, with the migration's connection:

1. pair dropped and created tables by similarity (:mod:`seqcheck.alembic.shapes`),
   asking on a terminal; also existing tables changed beyond recognition
   (git's "break" detection), which finds swapped names;
2. pair dropped and added columns of compatible type in each matched or
   unchanged table;
3. derive the renames that follow (:mod:`seqcheck.alembic.derive`) from a
   seqcheck catalog snapshot read on the same connection;
4. rewrite Alembic's reflection into the state after the renames and let Alembic
   compare the affected tables again (:mod:`seqcheck.alembic.reflect`), so what
   differs besides the names stays ordinary autogenerate operations;
5. put the renames first: notes, ``rename_table``, ``alter_column(…,
   new_column_name=…)``, then the derived ``rename_*`` operations.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alembic.operations import ops
from sqlalchemy import Column, ForeignKeyConstraint, UniqueConstraint
from sqlalchemy.sql.elements import conv

from seqcheck.alembic import ops as rename_ops
from seqcheck.alembic.ask import Asker
from seqcheck.alembic.derive import Renames, derive, order_tables
from seqcheck.alembic.pairing import TableKey, pair_columns, pair_tables
from seqcheck.alembic.reflect import (
    Moves,
    compare_tables,
    conn_shape,
    meta_shape,
    patch,
    read_catalog_via,
    reflected,
)
from seqcheck.alembic.shapes import TableShape, table_similarity
from seqcheck.conventions import sqlalchemy as sqlalchemy_convention
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind
from seqcheck.plan import StatementKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from alembic.autogenerate.api import AutogenContext
    from sqlalchemy import MetaData
    from sqlalchemy import Table as SATable

    from seqcheck.alembic.derive import Derived, Explicit
    from seqcheck.alembic.settings import Settings
    from seqcheck.catalog import Catalog
    from seqcheck.conventions import Template
    from seqcheck.plan import RenameStep

__all__ = ["rewrite"]

log = logging.getLogger(__name__)


@dataclass
class _Index:
    """Autogenerate's top-level operations, by table key."""

    creates: dict[TableKey, ops.CreateTableOp] = field(default_factory=dict)
    drops: dict[TableKey, ops.DropTableOp] = field(default_factory=dict)
    mods: dict[TableKey, list[ops.ModifyTableOps]] = field(
        default_factory=lambda: defaultdict(list)
    )


class _Run:
    """One rewrite: the context, the operations, the decisions."""

    def __init__(
        self, autogen_context: AutogenContext, settings: Settings, asker: Asker
    ) -> None:
        self.context = autogen_context
        self.settings = settings
        self.asker = asker
        self.dialect = autogen_context.dialect
        self.default = self.dialect.default_schema_name
        self.inspector = autogen_context.inspector
        self.tables: dict[TableKey, SATable] = {}
        for table in autogen_context.sorted_tables:
            self.tables[(self.norm(table.schema), table.name)] = table

    def norm(self, schema: str | None) -> str | None:
        return None if schema in (None, self.default) else schema

    def schema_name(self, schema: str | None) -> str:
        return schema or self.default or "public"

    def key(self, op: Any) -> TableKey:
        return (self.norm(op.schema), op.table_name)

    def index(self, upgrade_ops: ops.UpgradeOps) -> _Index:
        found = _Index()
        for op in upgrade_ops.ops:
            if isinstance(op, ops.CreateTableOp):
                found.creates[self.key(op)] = op
            elif isinstance(op, ops.DropTableOp):
                found.drops[self.key(op)] = op
            elif isinstance(op, ops.ModifyTableOps):
                found.mods[self.key(op)].append(op)
        return found

    def conn(self, key: TableKey) -> TableShape:
        return conn_shape(self.inspector, self.dialect, *key)

    def meta(self, key: TableKey) -> TableShape:
        return meta_shape(self.tables[key], self.dialect, key[0])

    def off(self, shape: TableShape) -> bool:
        return self.settings.off_for(shape.schema, shape.name)


def _changes_columns(mods: Iterable[ops.ModifyTableOps]) -> tuple[bool, bool]:
    """Return whether *mods* add columns, and whether they drop columns."""
    adds = drops = False
    for mod in mods:
        for op in mod.ops:
            adds = adds or isinstance(op, ops.AddColumnOp)
            drops = drops or isinstance(op, ops.DropColumnOp)
    return adds, drops


def rewrite(
    autogen_context: AutogenContext,
    upgrade_ops: ops.UpgradeOps,
    settings: Settings,
    asker: Asker,
) -> None:
    """Replace drop + create pairs in *upgrade_ops* with renames, in place."""
    if settings.off or autogen_context.dialect.name != "postgresql":
        return
    run = _Run(autogen_context, settings, asker)
    found = run.index(upgrade_ops)
    sources = [run.conn(k) for k in found.drops]
    dests = [run.meta(k) for k in found.creates if k in run.tables]
    broken: set[TableKey] = set()
    shapes: dict[TableKey, tuple[TableShape, TableShape]] = {}
    for key, mods in found.mods.items():
        adds, drops = _changes_columns(mods)
        if key not in run.tables or key in found.creates or not (adds or drops):
            continue
        old, new = run.conn(key), run.meta(key)
        if run.off(old):
            continue
        if adds and drops:
            shapes[key] = (old, new)
        threshold = settings.threshold_for(key[0], key[1])
        if table_similarity(old, new) * 100 < threshold:
            broken.add(key)  # git's break: it may have swapped names with another
            sources.append(old)
            dests.append(new)
    sources = [s for s in sources if not run.off(s)]
    dests = [d for d in dests if not run.off(d)]
    pairs = pair_tables(sources, dests, broken, settings, asker)
    involved = {(t.schema, t.name) for pair in pairs for t in pair}
    stable = [both for key, both in shapes.items() if key not in involved]
    columns = pair_columns([*pairs, *stable], settings, asker)
    if not pairs and not columns:
        if asker.notes:
            upgrade_ops.ops.insert(0, _renames([], asker))
        return
    _apply(run, upgrade_ops, found, pairs, columns)


def _conventions(run: _Run) -> Callable[[str, str], Template | None]:
    """Return the model's naming convention for a table ``(schema, name)``."""
    made: dict[int, Template | None] = {}

    def convention(schema: str, table: str) -> Template | None:
        found = run.tables.get((run.norm(schema), table))
        metadata = found.metadata if found is not None else _first(run.context.metadata)
        if metadata is None:
            return None
        if id(metadata) not in made:
            made[id(metadata)] = _template(metadata)
        return made[id(metadata)]

    return convention


def _explicit(run: _Run) -> Callable[[str, str], Explicit]:
    """Return the names the model gives a table's objects by hand."""

    def explicit(schema: str, table: str) -> Explicit:
        found = run.tables.get((run.norm(schema), table))
        return _explicit_names(found) if found is not None else {}

    return explicit


def _explicit_names(table: SATable) -> Explicit:
    """Return *table*'s hand-given names (not a convention's) by kind and columns."""

    def given(name: object) -> str | None:
        # A convention's names are conv(); unnamed is None or SQLAlchemy's marker.
        if isinstance(name, str) and not isinstance(name, conv):
            return str(name)
        return None

    out: Explicit = {}
    pk = table.primary_key
    if pk is not None and len(pk.columns) and (name := given(pk.name)):
        out[(Kind.PKEY, tuple(c.name for c in pk.columns))] = name
    for constraint in table.constraints:
        name = given(constraint.name)
        if name is None:
            continue
        if isinstance(constraint, UniqueConstraint):
            out[(Kind.UNIQUE, tuple(c.name for c in constraint.columns))] = name
        elif isinstance(constraint, ForeignKeyConstraint):
            out[(Kind.FKEY, tuple(c.name for c in constraint.columns))] = name
    for index in table.indexes:
        name = given(index.name)
        columns = [e.name for e in index.expressions if isinstance(e, Column)]
        if name is not None and len(columns) == len(index.expressions):
            out[(Kind.INDEX, tuple(columns))] = name
    return out


def _first(metadata: MetaData | Iterable[MetaData] | None) -> MetaData | None:
    if metadata is None or hasattr(metadata, "tables"):
        return metadata  # type: ignore[return-value]
    return next(iter(metadata), None)


def _template(metadata: MetaData) -> Template | None:
    """Return the string templates of *metadata*'s ``naming_convention``."""
    usable: dict[str, str] = {}
    for key, value in metadata.naming_convention.items():
        if isinstance(key, str) and isinstance(value, str):
            try:
                sqlalchemy_convention({key: value})
            except SeqcheckError:
                continue  # a token seqcheck cannot render (a callable's)
            usable[key] = value
    return sqlalchemy_convention(usable) if usable else None


_STEP_OPS: dict[StatementKind, Callable[[RenameStep, str | None], Any]] = {
    StatementKind.ALTER_SEQUENCE: lambda s, schema: rename_ops.RenameSequenceOp(
        s.old, s.new, schema=schema
    ),
    StatementKind.ALTER_INDEX: lambda s, schema: rename_ops.RenameIndexOp(
        s.old, s.new, schema=schema
    ),
    StatementKind.RENAME_CONSTRAINT: lambda s, schema: rename_ops.RenameConstraintOp(
        s.table, s.old, s.new, schema=schema
    ),
    StatementKind.ALTER_STATISTICS: lambda s, schema: rename_ops.RenameStatisticsOp(
        s.old, s.new, schema=schema
    ),
    StatementKind.RENAME_INDEX_COLUMN: lambda s, schema: rename_ops.RenameIndexColumnOp(
        s.index, s.old, s.new, schema=schema
    ),
}


def _apply(
    run: _Run,
    upgrade_ops: ops.UpgradeOps,
    found: _Index,
    pairs: list[tuple[TableShape, TableShape]],
    columns: dict[TableKey, dict[str, str]],
) -> None:
    """Derive, patch, compare again and assemble the operations."""
    context = run.context
    connection = context.connection
    assert connection is not None
    catalog = read_catalog_via(connection)
    tables = {(o.schema, o.name): n.name for o, n in pairs}
    renames = Renames(
        tables={(run.schema_name(s), t): new for (s, t), new in tables.items()},
        columns={
            (run.schema_name(s), t, c): new
            for (s, t), mapping in columns.items()
            for c, new in mapping.items()
        },
    )
    derived = derive(catalog, renames, _conventions(run), _explicit(run))
    moves = _moves(run, tables, columns, derived, catalog)

    renamed = set(tables) | set(columns)
    affected = set(renamed)
    for key in _cached_tables(run):
        for fk in reflected(run.inspector, "foreign_keys", *key):
            referred = (run.norm(fk.get("referred_schema")), fk["referred_table"])
            if referred in renamed:
                affected.add(key)
    after = {moves.after(k) for k in affected}
    model = [
        t
        for k, t in run.tables.items()
        if k in after or k in {(n.schema, n.name) for _, n in pairs}
    ]
    stale = affected | after | {(n.schema, n.name) for _, n in pairs}
    patch(run.inspector, moves, affected)
    again = ops.UpgradeOps([])
    compare_tables(context, again, after, model)

    kept = [op for op in upgrade_ops.ops if not _about(run, op, stale)]
    first: list[Any] = [
        rename_ops.RenameTableOp(step.old, step.new, schema=run.norm(step.schema))
        for step in order_tables(catalog, renames.tables)
    ]
    for (schema, table), mapping in sorted(
        columns.items(), key=lambda i: (i[0][0] or "", i[0][1])
    ):
        for old, new in mapping.items():
            first.append(
                rename_ops.RenameColumnOp(
                    tables.get((schema, table), table), old, new, schema=schema
                )
            )
    for step in derived.plan.steps:
        make = _STEP_OPS.get(step.statement)
        if make is not None:
            first.append(make(step, run.norm(step.schema)))
    for finding in derived.plan.blocked:
        run.asker.notes.append(
            (
                f"left {finding.kind} {finding.name} as it is: {finding.expected}"
                " is taken by an object this migration does not rename",
                "",
            )
        )
    upgrade_ops.ops[:] = [_renames(first, run.asker), *_merge(run, kept, again.ops)]


def _cached_tables(run: _Run) -> set[TableKey]:
    cache = run.inspector.info_cache.get("alembic_foreign_keys")
    return set(cache) if isinstance(cache, dict) else set()


def _moves(
    run: _Run,
    tables: dict[TableKey, str],
    columns: dict[TableKey, dict[str, str]],
    derived: Derived,
    catalog: Catalog,
) -> Moves:
    objects: dict[TableKey, dict[str, str]] = defaultdict(dict)
    sequences: dict[str | None, dict[str, str]] = defaultdict(dict)
    schemas = {s.oid: s.name for s in catalog.schemas}
    serial: dict[str | None, set[str]] = defaultdict(set)
    for seq in catalog.sequences:
        if seq.deptype == "a" and seq.schema_oid in schemas:
            serial[run.norm(schemas[seq.schema_oid])].add(seq.name)
    for finding in derived.findings:
        schema = run.norm(finding.schema)
        if finding.kind is Kind.SEQUENCE:
            sequences[schema][finding.name] = finding.expected
        elif finding.kind is not Kind.INDEX_COLUMN:
            objects[(schema, finding.table)][finding.name] = finding.expected
    return Moves(
        tables,
        columns,
        objects,
        sequences,
        {schema: frozenset(names) for schema, names in serial.items()},
    )


def _about(run: _Run, op: Any, keys: set[TableKey]) -> bool:
    """Tell whether *op* is a table-level operation on one of *keys*."""
    if isinstance(op, (ops.CreateTableOp, ops.DropTableOp, ops.ModifyTableOps)):
        return run.key(op) in keys
    return False


def _merge(run: _Run, kept: list[Any], again: list[Any]) -> list[Any]:
    """Put the operations compared again where autogenerate puts their kind.

    Autogenerate orders created tables (each with its indexes), then dropped
    ones, then changes to the others; the new ones join the end of their group.
    """
    creates: list[Any] = []
    drops: list[Any] = []
    changes: list[Any] = []
    number = 0
    while number < len(again):
        op = again[number]
        following = again[number + 1] if number + 1 < len(again) else None
        paired = following is not None and run.key(following) == run.key(op)
        if isinstance(op, ops.CreateTableOp):
            group = creates
            if paired and isinstance(following, ops.ModifyTableOps):
                creates.append(op)
                op, number = following, number + 1
        elif (
            isinstance(op, ops.ModifyTableOps)
            and paired
            and isinstance(following, ops.DropTableOp)
        ):
            drops.append(op)
            op, number, group = following, number + 1, drops
        else:
            group = drops if isinstance(op, ops.DropTableOp) else changes
        group.append(op)
        number += 1
    out = list(kept)
    position = _after_last(run, out, ops.CreateTableOp)
    out[position:position] = creates
    after_drops = _after_last(run, out, ops.DropTableOp)
    position = after_drops if after_drops else position + len(creates)
    out[position:position] = drops
    return out + changes


def _after_last(run: _Run, out: list[Any], kind: type) -> int:
    """Return the position after the last *kind* operation and its companion."""
    last = max((n for n, op in enumerate(out) if isinstance(op, kind)), default=-1)
    if last < 0:
        return 0
    position = last + 1
    if (
        kind is ops.CreateTableOp
        and position < len(out)
        and isinstance(out[position], ops.ModifyTableOps)
        and run.key(out[position]) == run.key(out[last])
    ):
        position += 1
    return position


def _renames(renames: list[Any], asker: Asker) -> rename_ops.RenamesOp:
    """Return *renames* under the notes the decisions left."""
    notes = [text for text, _ in asker.notes]
    back = [reverse or text for text, reverse in asker.notes]
    asker.notes.clear()
    return rename_ops.RenamesOp(renames, notes, back)
