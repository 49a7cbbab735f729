"""Verify: what a batch of renames did, compared with what it was planned to do.

Stage: apply's pure half. Imports drift, findings and plan types; never a
connection. Inside each batch's transaction, :mod:`seqcheck.apply` reads every
name before and after the renames (:func:`seqcheck.statements.object_names`)
and commits only when :func:`unexpected` finds nothing: every planned object
carries its new name and no other name changed, except the copies a recursing
rename renames along. The last batch also re-reads the whole catalog and
re-runs drift: :func:`reported` lists findings it should have fixed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from seqcheck.catalog import Constraint, Index, Sequence_, Statistic, TakenName
from seqcheck.findings import Kind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from seqcheck.catalog import Catalog
    from seqcheck.drift import Drift
    from seqcheck.plan import RenameStep

__all__ = [
    "Names",
    "Rename",
    "matches",
    "predicted",
    "renames",
    "reported",
    "unexpected",
]

# What each kind of object is found under in the catalog, by OID.
_CATEGORY: dict[Kind, str] = {
    Kind.SEQUENCE: "sequence",
    Kind.PKEY: "index",
    Kind.UNIQUE: "index",
    Kind.EXCLUSION: "index",
    Kind.INDEX: "index",
    Kind.FKEY: "constraint",
    Kind.CHECK: "constraint",
    Kind.NOT_NULL: "constraint",
    Kind.DOMAIN: "constraint",
    Kind.STATISTICS: "statistics",
    Kind.INDEX_COLUMN: "index-column",
}
# Where object_names() lists each kind's name.
_SPACE: dict[Kind, str] = {
    Kind.SEQUENCE: "relation",
    Kind.PKEY: "relation",
    Kind.UNIQUE: "relation",
    Kind.EXCLUSION: "relation",
    Kind.INDEX: "relation",
    Kind.FKEY: "constraint",
    Kind.CHECK: "constraint",
    Kind.NOT_NULL: "constraint",
    Kind.DOMAIN: "constraint",
    Kind.STATISTICS: "statistics",
}
# Renames that also rename a same-named constraint (NAMING.md §5.1): the one
# an index backs, and the copies of a CHECK or NOT NULL in inheritors.
_ALONG = {Kind.PKEY, Kind.UNIQUE, Kind.EXCLUSION, Kind.CHECK, Kind.NOT_NULL}

_Key = tuple[str, int, int]  # (space, oid, sub): see object_names()
_R = TypeVar("_R", Sequence_, Index, Constraint, Statistic)
#: Names as :func:`seqcheck.statements.object_names` reads them: (schema, name).
Names = dict[_Key, tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Rename:
    """What one object was renamed from and to, temporary names left out.

    :param index: for ``index-column``, the index (as named after the plan).
    """

    kind: Kind
    schema: str
    table: str
    object_oid: int
    old: str
    new: str
    index: str = ""


def renames(steps: Sequence[RenameStep]) -> tuple[Rename, ...]:
    """Return each object's first and last name in *steps*, in plan order."""
    first: dict[tuple[str, int, str], str] = {}
    last: dict[tuple[str, int, str], RenameStep] = {}
    columns: dict[tuple[int, str], tuple[str, int, str]] = {}
    for step in steps:
        if step.kind is Kind.INDEX_COLUMN:
            at = (step.object_oid, step.old)
            key = columns.pop(at, ("index-column", step.object_oid, step.old))
            columns[step.object_oid, step.new] = key
        else:
            key = (_CATEGORY[step.kind], step.object_oid, "")
        first.setdefault(key, step.old)
        last[key] = step
    done: list[Rename] = []
    for key, old in first.items():
        step = last[key]
        if old != step.new:
            done.append(
                Rename(
                    step.kind,
                    step.schema,
                    step.table,
                    step.object_oid,
                    old,
                    step.new,
                    step.index,
                )
            )
    return tuple(done)


def unexpected(done: Sequence[Rename], before: Names, after: Names) -> list[str]:
    """Return how *after* differs from *before* other than by *done*.

    *before* and *after* are read in the same transaction, just before and
    just after a batch's renames. Each planned object must carry its new name,
    and no other name may have changed, except the copies a recursing rename
    renames along: an index-backed constraint with its index, a CHECK or NOT
    NULL constraint of an inheritor, a partition index's column.
    """
    planned: dict[_Key, Rename] = {}
    along: set[tuple[str, str, str]] = set()
    columns = {
        (key[1], name): key for key, (_, name) in before.items() if key[0] == "column"
    }
    for rename in done:
        if rename.kind is Kind.INDEX_COLUMN:
            key = columns.get((rename.object_oid, rename.old))
            along.add(("column", rename.old, rename.new))
        else:
            key = (_SPACE[rename.kind], rename.object_oid, 0)
        if rename.kind in _ALONG:
            along.add(("constraint", rename.old, rename.new))
        if key is not None:
            planned[key] = rename
    found: list[str] = []
    for key, rename in planned.items():
        now = after.get(key)
        if now is None:
            found.append(f"{_what(rename)} is gone")
        elif now[1] != rename.new:
            found.append(f"{_what(rename)} is named {now[1]!r}, not {rename.new!r}")
    for key, (schema, old) in before.items():
        now = after.get(key)
        if now is None or now[1] == old or key in planned:
            continue
        if (key[0], old, now[1]) in along:
            continue
        if key[0] == "column":
            owner = after.get(("relation", key[1], 0), (schema, "?"))[1]
            what = f"column {old} of {schema}.{owner}"
        else:
            what = f"{key[0]} {schema}.{old}"
        found.append(f"{what} is now named {now[1]!r}, not planned")
    return found


def reported(done: Sequence[Rename], drift: Drift) -> list[str]:
    """Return the findings of *drift* that *done* should have fixed."""
    new_columns = {(r.object_oid, r.new) for r in done if r.kind is Kind.INDEX_COLUMN}
    objects = {(_CATEGORY[r.kind], r.object_oid) for r in done}
    found: list[str] = []
    for finding in drift.findings:
        if finding.kind is Kind.INDEX_COLUMN:
            planned = (finding.object_oid, finding.column) in new_columns
        else:
            planned = (_CATEGORY[finding.kind], finding.object_oid) in objects
        if planned:
            found.append(f"still reported: {finding.message}")
    return found


def _what(rename: Rename) -> str:
    if rename.kind is Kind.INDEX_COLUMN:
        return f"column {rename.old} of index {rename.schema}.{rename.index}"
    return f"{rename.kind} {rename.schema}.{rename.old}"


# -- the catalog after a plan, predicted ------------------------------------------


def predicted(catalog: Catalog, done: Sequence[Rename]) -> Catalog:
    """Return *catalog* as it reads after *done*, side effects included.

    A recursing CHECK or NOT NULL rename also renames the same-named
    constraint of every inheritor; an index column rename, that column of
    every partition index below; renaming an index renames the constraint it
    backs. :func:`matches` tells whether the server agrees.
    """
    tables = _below([(t.oid, p) for t in catalog.tables for p in t.parents])
    indexes = _below([(i.oid, i.parent_oid) for i in catalog.indexes if i.parent_oid])
    names = {
        ("relation", r.object_oid): r.new
        for r in done
        if _SPACE.get(r.kind) == "relation"
    }
    names.update(
        (("constraint", r.object_oid), r.new)
        for r in done
        if _SPACE.get(r.kind) == "constraint"
    )
    names.update(
        (("statistics", r.object_oid), r.new) for r in done if r.kind is Kind.STATISTICS
    )
    copies: dict[tuple[int, str], str] = {}  # (table, old name) -> new name
    columns: dict[int, dict[str, str]] = {}  # index -> old column -> new column
    table_of = {c.oid: c.table_oid for c in catalog.constraints}
    for r in done:
        if r.kind in {Kind.CHECK, Kind.NOT_NULL}:
            for table in tables.get(table_of.get(r.object_oid, 0), ()):
                copies[table, r.old] = r.new
        elif r.kind is Kind.INDEX_COLUMN:
            for oid in (r.object_oid, *indexes.get(r.object_oid, ())):
                columns.setdefault(oid, {})[r.old] = r.new
    taken: dict[tuple[int, str], Counter[str]] = {
        (t.schema_oid, t.space): Counter(t.names) for t in catalog.names
    }

    def moved(schema_oid: int, space: str, old: str, new: str) -> None:
        counter = taken.setdefault((schema_oid, space), Counter())
        counter[old] -= 1
        counter[new] += 1

    def renamed(record: _R, space: str, new: str | None) -> _R:
        if new is None or new == record.name:
            return record
        moved(record.schema_oid, space, record.name, new)
        return record._replace(name=new)

    def index(i: Index) -> Index:
        new = names.get(("relation", i.oid))
        if i.constraint_type and new is not None and new != i.name:
            moved(i.schema_oid, "constraint", i.name, new)
        i = renamed(i, "relation", new)
        if i.oid not in columns:
            return i
        stored = tuple(columns[i.oid].get(c, c) for c in i.stored_names)
        return i._replace(stored_names=stored)

    sequences = tuple(
        renamed(s, "relation", names.get(("relation", s.oid)))
        for s in catalog.sequences
    )
    new_indexes = tuple(index(i) for i in catalog.indexes)
    constraints = tuple(
        renamed(
            c,
            "constraint",
            names.get(("constraint", c.oid)) or copies.get((c.table_oid, c.name)),
        )
        for c in catalog.constraints
    )
    statistics = tuple(
        renamed(s, "statistics", names.get(("statistics", s.oid)))
        for s in catalog.statistics
    )
    rows = tuple(
        TakenName(schema_oid, space, tuple(sorted(counter.elements())))
        for (schema_oid, space), counter in taken.items()
    )
    return replace(
        catalog,
        sequences=sequences,
        indexes=new_indexes,
        constraints=constraints,
        statistics=statistics,
        names=rows,
    )


def matches(catalog: Catalog, names: Names) -> bool:
    """Tell whether *names*, read from the server, are those of *catalog*.

    Every table, column, sequence, index (and its columns), constraint and
    statistics name the catalog holds, and the multiset of relation,
    constraint and statistics names of each schema: then a drift judgement of
    *catalog* is one of the server's.
    """
    want: dict[_Key, str] = {}
    for t in catalog.tables:
        want["relation", t.oid, 0] = t.name
        want.update(
            (("column", t.oid, n), c) for n, c in zip(t.attnums, t.columns, strict=True)
        )
    want.update((("relation", s.oid, 0), s.name) for s in catalog.sequences)
    for i in catalog.indexes:
        want["relation", i.oid, 0] = i.name
        want.update((("column", i.oid, n), c) for n, c in enumerate(i.stored_names, 1))
    want.update((("constraint", c.oid, 0), c.name) for c in catalog.constraints)
    want.update((("statistics", s.oid, 0), s.name) for s in catalog.statistics)
    for key, name in want.items():
        got = names.get(key)
        if got is None or got[1] != name:
            return False
    schemas = {s.oid: s.name for s in catalog.schemas}
    read: dict[tuple[str, str], Counter[str]] = {}
    for (space, _, _), (schema, name) in names.items():
        if space != "column":
            read.setdefault((schema, space), Counter())[name] += 1
    for row in catalog.names:
        if row.space == "type" or row.schema_oid not in schemas:
            continue
        if read.pop((schemas[row.schema_oid], row.space), Counter()) != Counter(
            row.names
        ):
            return False
    return not any(read.values())


def _below(edges: Sequence[tuple[int, int]]) -> dict[int, tuple[int, ...]]:
    """Return, for each parent in (child, parent) *edges*, all its descendants."""
    children: dict[int, list[int]] = {}
    for child, parent in edges:
        children.setdefault(parent, []).append(child)
    found: dict[int, tuple[int, ...]] = {}
    for root, below in children.items():
        seen: dict[int, None] = {}
        stack = list(below)
        while stack:
            oid = stack.pop()
            if oid not in seen:
                seen[oid] = None
                stack.extend(children.get(oid, ()))
        found[root] = tuple(seen)
    return found
