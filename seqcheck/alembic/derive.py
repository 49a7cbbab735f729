"""Derived renames: the names a table or column rename should take along.

Stage: the Alembic plugin's pure core. Imports catalog records, rules, naming,
conventions and plan; never a connection, never Alembic.

We know what was renamed (the user said so, or autogenerate paired it), so
nothing here weighs evidence the way :mod:`seqcheck.drift` must. For every
object of an affected table, its name is compared with the name it would have
been given under the old table and column names:

- under the model's ``naming_convention`` (where it names that kind), the new
  name is the convention's, rendered with the new names;
- under PostgreSQL's own rules (collision digits allowed), the new name is the
  one PostgreSQL would choose today (:class:`~seqcheck.targets.Namer`: names
  the database has are avoided, names this migration frees are not);
- any other name was chosen by hand and is left alone.

Where the model names an object by hand (``UniqueConstraint(…, name=…)``), that
name wins over both, so the model and the database agree afterwards.

The renames become :class:`~seqcheck.findings.Finding` records, and
:func:`~seqcheck.plan.make_plan` orders them (swaps go through temporary names).
Column names stored in indexes are renamed to today's names too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeAlias

from seqcheck.conventions import Names
from seqcheck.drift import Drift, index_column_findings
from seqcheck.evidence import today_middle
from seqcheck.findings import Finding, Kind, Reason, Tier
from seqcheck.naming import MAX_NAME, encoding_for, fits_with_suffix, name_bytes
from seqcheck.plan import TEMP_SUFFIX, make_plan
from seqcheck.rules import RULES
from seqcheck.rules.sc111_index_column_name import stale_columns
from seqcheck.targets import Namer

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from seqcheck.catalog import Catalog, Table
    from seqcheck.conventions import Template
    from seqcheck.naming import Encoding
    from seqcheck.plan import Plan
    from seqcheck.rules import Subject

__all__ = ["Derived", "Explicit", "Renames", "TableStep", "derive", "order_tables"]

#: Names a model gives by hand: ``(kind, column names) → name``.
Explicit: TypeAlias = dict[tuple[Kind, tuple[str, ...]], str]


@dataclass(frozen=True, slots=True)
class Renames:
    """What was renamed, by schema name (``public``), as the database has it now.

    :param tables: ``(schema, old table) → new table``.
    :param columns: ``(schema, old table, old column) → new column``.
    """

    tables: Mapping[tuple[str, str], str]
    columns: Mapping[tuple[str, str, str], str]


@dataclass(frozen=True, slots=True)
class TableStep:
    """One table rename in migration order (a swap goes via a temporary name)."""

    schema: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Derived:
    """The derived renames, planned.

    :param plan: the ordered steps; constraint steps name the table by its new
        name (they run after the table renames).
    :param findings: one per renamed object, for the revision file's notes.
    """

    plan: Plan
    findings: tuple[Finding, ...]


def derive(
    catalog: Catalog,
    renames: Renames,
    convention_for: Callable[[str, str], Template | None] | None = None,
    explicit_for: Callable[[str, str], Explicit] | None = None,
) -> Derived:
    """Return the renames that follow *renames* in *catalog*, planned.

    :param convention_for: the naming convention of the table ``(schema, new
        name)`` in the model, or ``None`` where PostgreSQL's names apply.
    :param explicit_for: the names the model gives that table's objects by
        hand, by kind and columns; they win over both.
    """
    explicit_for = explicit_for or (lambda schema, table: {})
    enc = encoding_for(catalog.server.encoding)
    schemas = {s.oid: s.name for s in catalog.schemas}
    by_name = {
        (schemas[t.schema_oid], t.name): t
        for t in catalog.tables
        if t.schema_oid in schemas
    }
    new_names: dict[int, str] = {}
    for key, name in renames.tables.items():
        if key in by_name:
            new_names[by_name[key].oid] = name
    columns: dict[int, dict[str, str]] = defaultdict(dict)
    for (schema, table, column), name in renames.columns.items():
        if (schema, table) in by_name:
            columns[by_name[(schema, table)].oid][column] = name
    renamed = set(new_names) | set(columns)
    affected = renamed | {
        c.table_oid
        for c in catalog.constraints
        if c.contype == "f" and c.references_oid in renamed
    }
    after = simulate(catalog, new_names, columns)
    old_tables = {t.oid: t for t in catalog.tables if t.oid in affected}
    new_tables = {t.oid: t for t in after.tables if t.oid in affected}
    olds = {s.oid: s for r in RULES for s in r.subjects(catalog, old_tables)}
    news = {s.oid: s for r in RULES for s in r.subjects(after, new_tables)}

    convention_for = convention_for or (lambda schema, table: None)
    chosen: dict[int, str] = {}
    by_postgres: list[tuple[Subject, Subject]] = []
    rows: list[tuple[Subject, Subject]] = []
    for oid in sorted(olds):
        old, new = olds[oid], news.get(oid)
        if new is None or new.schema_oid not in schemas:
            continue
        if old.key_oid:  # a row for a referenced partition: PostgreSQL names it
            rows.append((old, new))
            continue
        schema = schemas[new.schema_oid]
        convention = convention_for(schema, new.owner)
        target = _by_convention(convention, old, new) if convention else None
        if target is None and not fits_with_suffix(
            old.name, old.owner, today_middle(old, enc), old.label, enc
        ):
            continue  # chosen by hand: left alone
        named = explicit_for(schema, new.owner).get((new.kind, _columns(new)))
        if named is not None:
            chosen[oid] = named
        elif target is not None:
            chosen[oid] = target
        else:
            by_postgres.append((old, new))
    keys = {old.oid for old, _ in by_postgres}  # their rows follow them
    by_postgres += [pair for pair in rows if pair[0].key_oid not in keys]
    by_postgres.sort(key=lambda pair: pair[0].oid)
    namer = Namer(catalog, enc, [old for old, _ in by_postgres])
    for old, new in by_postgres:
        chosen[old.oid] = namer.choose(new, today_middle(new, enc))

    findings = [
        _finding(olds[oid], news[oid], target, schemas)
        for oid, target in chosen.items()
        if target != olds[oid].name
    ]
    findings += _index_columns(catalog, after, set(columns), schemas, enc)
    findings.sort(key=lambda f: (f.schema, f.table, list(Kind).index(f.kind), f.name))
    drift = Drift(
        findings=tuple(findings), tables_checked=len(affected), rows=namer.rows()
    )
    plan = make_plan(drift, catalog, include=frozenset({Tier.CERTAIN}))
    return Derived(plan, tuple(findings))


def simulate(
    catalog: Catalog,
    new_names: Mapping[int, str],
    columns: Mapping[int, Mapping[str, str]],
) -> Catalog:
    """Return *catalog* as it reads after the table and column renames.

    Only table, column and constraint column names change; object names, OIDs
    and the names stored in indexes stay as they are.
    """

    def names(oid: int, values: tuple[str, ...]) -> tuple[str, ...]:
        mapping = columns.get(oid)
        return tuple(mapping.get(v, v) for v in values) if mapping else values

    def one(oid: int, value: str) -> str:
        mapping = columns.get(oid)
        return mapping.get(value, value) if mapping else value

    return replace(
        catalog,
        tables=tuple(
            t._replace(
                name=new_names.get(t.oid, t.name), columns=names(t.oid, t.columns)
            )
            if t.oid in new_names or t.oid in columns
            else t
            for t in catalog.tables
        ),
        sequences=tuple(
            s._replace(column_name=one(s.table_oid, s.column_name))
            for s in catalog.sequences
        ),
        constraints=tuple(
            c._replace(
                column_names=names(c.table_oid, c.column_names),
                ref_column_names=names(c.references_oid, c.ref_column_names or ()),
            )
            for c in catalog.constraints
        ),
        statistics=tuple(
            s._replace(column_names=names(s.table_oid, s.column_names))
            for s in catalog.statistics
        ),
    )


def _columns(subject: Subject) -> tuple[str, ...]:
    if subject.parts:
        return tuple(p.name for p in subject.parts)
    return subject.key_columns


def _by_convention(convention: Template, old: Subject, new: Subject) -> str | None:
    """Return the convention's new name if *old*'s name is the convention's old one."""
    if not convention.covers(old.kind):
        return None
    before = Names(old.owner, _columns(old), old.referred, old.referred_columns)
    found = convention.fit(
        old.kind, old.name, before, table=old.owner, referred=old.referred
    )
    if found is None:
        return None
    after = Names(
        new.owner, _columns(new), new.referred, new.referred_columns, found[2]
    )
    return convention.render(new.kind, after)


def _finding(
    old: Subject, new: Subject, target: str, schemas: Mapping[int, str]
) -> Finding:
    table_renamed = old.owner != new.owner or old.referred != new.referred
    columns_renamed = _columns(old) != _columns(new) or (
        old.referred_columns != new.referred_columns
    )
    if table_renamed and columns_renamed:
        reason, stale = Reason.BOTH_RENAMED, " ".join((old.owner, *_columns(old)))
    elif table_renamed:
        reason, stale = Reason.TABLE_RENAMED, old.owner
    else:
        reason, stale = Reason.COLUMN_RENAMED, " ".join(_columns(old))
    return Finding(
        schema=schemas[new.schema_oid],
        table=new.owner,
        kind=new.kind,
        name=old.name,
        code=new.code,
        tier=Tier.CERTAIN,
        reason=reason,
        expected=target,
        stale=stale,
        object_oid=new.oid,
        table_oid=new.table.oid if new.table else 0,
        object_name=old.name,
    )


def _index_columns(
    catalog: Catalog,
    after: Catalog,
    tables: set[int],
    schemas: Mapping[int, str],
    enc: Encoding,
) -> list[Finding]:
    """Return a finding per index column that stores a renamed column's old name."""
    renamed: dict[int, Table] = {t.oid: t for t in after.tables if t.oid in tables}
    stale = {
        index.oid: stale_columns(index, renamed[index.table_oid], enc)
        for index in catalog.indexes
        if index.table_oid in renamed and not index.from_extension
    }
    return index_column_findings(catalog.indexes, renamed, schemas, stale)


def order_tables(
    catalog: Catalog, renames: Mapping[tuple[str, str], str]
) -> list[TableStep]:
    """Return the table renames in an order that works, swaps via temporary names.

    A rename waits while its new name is held by a table still to be renamed;
    when every rename waits (``a ↔ b``), one goes to ``<name>_seqcheck_tmp``
    first, a name free among the schema's relations.
    """
    enc = encoding_for(catalog.server.encoding)
    schemas = {s.oid: s.name for s in catalog.schemas}
    taken: set[tuple[str, str]] = set()
    for row in catalog.names:
        if row.space == "relation" and row.schema_oid in schemas:
            taken.update((schemas[row.schema_oid], n) for n in row.names)
    pending = [[schema, old, new] for (schema, old), new in sorted(renames.items())]
    steps: list[TableStep] = []
    while pending:
        held = {(p[0], p[1]) for p in pending}
        waiting = []
        for item in pending:
            schema, current, target = item
            if (schema, target) in held and (schema, target) != (schema, current):
                waiting.append(item)
                continue
            steps.append(TableStep(schema, current, target))
            held.discard((schema, current))
        if len(waiting) == len(pending):
            item = waiting[0]
            used = taken | held | {(p[0], p[2]) for p in pending}
            temp = _temp(item[0], item[1], used, enc)
            steps.append(TableStep(item[0], item[1], temp))
            item[1] = temp
        pending = waiting
    return steps


def _temp(schema: str, name: str, used: set[tuple[str, str]], enc: Encoding) -> str:
    number = 0
    while True:
        suffix = TEMP_SUFFIX + (str(number) if number else "")
        temp = enc.cut(name, MAX_NAME - name_bytes(suffix, enc)) + suffix
        if (schema, temp) not in used:
            return temp
        number += 1
