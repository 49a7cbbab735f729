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

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from itertools import chain
from typing import TYPE_CHECKING, TypeVar

from seqcheck.catalog import Constraint, Index, Sequence_, Statistic, TakenName
from seqcheck.findings import Kind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from seqcheck.catalog import Catalog
    from seqcheck.drift import Drift
    from seqcheck.findings import Finding
    from seqcheck.plan import RenameStep

__all__ = [
    "SPACES",
    "Expected",
    "Names",
    "Rename",
    "Row",
    "expected",
    "key",
    "predicted",
    "renames",
    "reported",
    "touched",
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

_R = TypeVar("_R", Sequence_, Index, Constraint, Statistic)
#: Where :func:`seqcheck.statements.object_names` lists a name: its code in
#: the row's key, ``oid << 13 | sub << 2 | space``.
SPACES = {"relation": 0, "constraint": 1, "statistics": 2, "column": 3}
_SPACE_NAMES = {code: space for space, code in SPACES.items()}
_COLUMN = SPACES["column"]
#: One name as :func:`seqcheck.statements.object_names` reads it:
#: ``(key, schema, name)``.
Row = tuple[int, str, str]
#: Every name read at once: a set, so that two reads compare in C.
Names = set[Row]


def key(space: str, oid: int, sub: int = 0) -> int:
    """Return the key :func:`seqcheck.statements.object_names` gives a name.

    :param sub: a column's number (at most 1600, so it fits in 11 bits).
    """
    return oid << 13 | sub << 2 | SPACES[space]


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
    NULL constraint of an inheritor, a partition index's column. A foreign
    key's partition copies and rows for referenced partitions are planned
    renames of their own (:mod:`seqcheck.clones`), never along. Objects that
    appeared or vanished meanwhile are not renames (a planned one that
    vanished is).

    Linear: two set differences find the names that changed; only those
    (and, for the messages of a failure, the rest) are looked at in Python.
    """
    was = {k: (schema, name) for k, schema, name in before - after}
    now = {k: (schema, name) for k, schema, name in after - before}
    columns: dict[tuple[int, str], int] | None = None  # (index, name) -> key
    planned: dict[int, Rename] = {}
    along: set[tuple[int, str, str]] = set()
    for rename in done:
        if rename.kind is Kind.INDEX_COLUMN:
            along.add((_COLUMN, rename.old, rename.new))
            at = _column_key(was, rename.object_oid, rename.old)
            if at is None:  # not renamed: find it among every name read
                if columns is None:
                    columns = {
                        (k >> 13, name): k for k, _, name in before if k & 3 == _COLUMN
                    }
                at = columns.get((rename.object_oid, rename.old))
        else:
            at = key(_SPACE[rename.kind], rename.object_oid)
        if rename.kind in _ALONG:
            along.add((SPACES["constraint"], rename.old, rename.new))
        if at is not None:
            planned[at] = rename
    found: list[str] = []
    everything: dict[int, tuple[str, str]] | None = None
    for at, rename in planned.items():
        got = now.get(at)
        if got is not None and got[1] == rename.new:
            continue
        if got is None:  # unchanged, or gone
            if everything is None:
                everything = {k: (schema, name) for k, schema, name in after}
            got = everything.get(at)
        if got is None:
            found.append(f"{_what(rename)} is gone")
        elif got[1] != rename.new:
            found.append(f"{_what(rename)} is named {got[1]!r}, not {rename.new!r}")
    changed: list[tuple[int, str, str, str]] = []
    for at, (schema, old) in was.items():
        got = now.get(at)
        if got is None or got[1] == old or at in planned:
            continue
        if (at & 3, old, got[1]) not in along:
            changed.append((at, schema, old, got[1]))
    for at, schema, old, new in sorted(changed):  # in catalog order
        if at & 3 == _COLUMN:
            if everything is None:
                everything = {k: (schema, name) for k, schema, name in after}
            owner = everything.get(key("relation", at >> 13), (schema, "?"))[1]
            what = f"column {old} of {schema}.{owner}"
        else:
            what = f"{_SPACE_NAMES[at & 3]} {schema}.{old}"
        found.append(f"{what} is now named {new!r}, not planned")
    return found


def _column_key(
    was: dict[int, tuple[str, str]], index_oid: int, name: str
) -> int | None:
    """Return the key of column *name* of *index_oid* among the renamed names."""
    for sub in range(1, 33):  # INDEX_MAX_KEYS
        at = key("column", index_oid, sub)
        if (got := was.get(at)) is not None and got[1] == name:
            return at
    return None


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
    backs. A foreign key's partition copies and rows for referenced
    partitions do not follow it: the plan renames each with a step of its
    own, found here by OID like any other. :meth:`Expected.met_by` tells
    whether the server agrees.
    """
    tables = _below([(t.oid, p) for t in catalog.tables for p in t.parents])
    indexes = _below([(i.oid, i.parent_oid) for i in catalog.indexes if i.parent_oid])
    # The new name of each renamed object, by space and OID.
    relations: dict[int, str] = {}
    constraints: dict[int, str] = {}
    statistics: dict[int, str] = {}
    spaces = {"relation": relations, "constraint": constraints}
    copies: dict[tuple[int, str], str] = {}  # (table, old name) -> new name
    columns: dict[int, dict[str, str]] = {}  # index -> old column -> new column
    table_of: dict[int, int] | None = None
    for r in done:
        if r.kind is Kind.STATISTICS:
            statistics[r.object_oid] = r.new
        elif r.kind is Kind.INDEX_COLUMN:
            for oid in (r.object_oid, *indexes.get(r.object_oid, ())):
                columns.setdefault(oid, {})[r.old] = r.new
        else:
            spaces[_SPACE[r.kind]][r.object_oid] = r.new
            if r.kind in {Kind.CHECK, Kind.NOT_NULL}:
                if table_of is None:
                    table_of = {c.oid: c.table_oid for c in catalog.constraints}
                for table in tables.get(table_of.get(r.object_oid, 0), ()):
                    copies[table, r.old] = r.new
    # Old and new names per (schema, space), applied to its names at the end.
    left: dict[tuple[int, str], list[str]] = defaultdict(list)
    taken: dict[tuple[int, str], list[str]] = defaultdict(list)

    def renamed(record: _R, space: str, new: str) -> _R:
        left[record.schema_oid, space].append(record.name)
        taken[record.schema_oid, space].append(new)
        return record._replace(name=new)

    def index(i: Index, new: str | None) -> Index:
        if new is not None and new != i.name:
            if i.constraint_type:  # the constraint it backs is renamed along
                left[i.schema_oid, "constraint"].append(i.name)
                taken[i.schema_oid, "constraint"].append(new)
            i = renamed(i, "relation", new)
        if i.oid not in columns:
            return i
        stored = tuple(columns[i.oid].get(c, c) for c in i.stored_names)
        return i._replace(stored_names=stored)

    def constraint(c: Constraint) -> Constraint:
        new = constraints.get(c.oid) or copies.get((c.table_oid, c.name))
        return c if new is None or new == c.name else renamed(c, "constraint", new)

    # An unchanged record is the same object (touched() relies on it); only
    # the renamed ones go through a call.
    relation = relations.get
    new_indexes = tuple(
        i if (n := relation(i.oid)) is None and i.oid not in columns else index(i, n)
        for i in catalog.indexes
    )
    cons = catalog.constraints
    return replace(
        catalog,
        sequences=_renamed(catalog.sequences, relations, "relation", renamed),
        indexes=new_indexes,
        constraints=tuple(map(constraint, cons))
        if copies
        else _renamed(cons, constraints, "constraint", renamed),
        statistics=_renamed(catalog.statistics, statistics, "statistics", renamed),
        names=_names_after(catalog.names, left, taken),
    )


def _renamed(
    records: tuple[_R, ...],
    new: dict[int, str],
    space: str,
    rename: Callable[[_R, str, str], _R],
) -> tuple[_R, ...]:
    """Return *records*, each with a *new* name (by OID) passed to *rename*."""
    get = new.get
    return tuple(
        r if (n := get(r.oid)) is None or n == r.name else rename(r, space, n)
        for r in records
    )


def _names_after(
    rows: tuple[TakenName, ...],
    left: dict[tuple[int, str], list[str]],
    taken: dict[tuple[int, str], list[str]],
) -> tuple[TakenName, ...]:
    """Return the names taken per schema and space, less *left*, plus *taken*."""
    out = []
    for row in rows:
        at = (row.schema_oid, row.space)
        if at not in taken:
            out.append(row)
            continue
        counter = Counter(row.names)
        counter.subtract(left.get(at, ()))
        counter.update(taken[at])
        out.append(row._replace(names=tuple(sorted(counter.elements()))))
    before = {(row.schema_oid, row.space) for row in rows}
    for at, names in taken.items():  # a schema and space that took no name before
        if at not in before:
            counter = Counter(names)
            counter.subtract(left.get(at, ()))
            out.append(TakenName(*at, tuple(sorted(counter.elements()))))
    return tuple(out)


def touched(before: Catalog, after: Catalog, findings: Iterable[Finding]) -> set[int]:
    """Return the tables whose verdicts may differ in *after*, *before* renamed.

    *after* is :func:`predicted` from *before* (an unchanged record is the
    same object); *findings* are every finding of *before*'s drift, those
    left out of the plan too. An object's verdict depends on its own record
    and table, the other objects of its table (witnesses, old column names
    its indexes prove), the checks and NOT NULLs of its name anywhere in the
    schema (copies), the parent of a partition's foreign key, and, for a
    name with collision digits, every name in its schema. So these tables
    are judged again: those of a record that changed, of a finding, of a
    name ending in a digit, of a check or NOT NULL named as a changed
    constraint was or is, and of a foreign key whose parent changed. The
    others, judged again, would give what they gave (none of them has a
    finding). Domain constraints are always judged.
    """
    tables = {f.table_oid for f in findings}
    names: set[tuple[int, str]] = set()  # old and new names of changed constraints
    parents: set[int] = set()
    for old, new in zip(before.constraints, after.constraints, strict=True):
        if old is not new:
            tables.add(old.table_oid)
            parents.add(old.oid)
            names.update(((old.schema_oid, old.name), (new.schema_oid, new.name)))
    owned: list[tuple[Sequence_ | Index | Statistic, Sequence_ | Index | Statistic]]
    owned = [
        *zip(before.sequences, after.sequences, strict=True),
        *zip(before.indexes, after.indexes, strict=True),
        *zip(before.statistics, after.statistics, strict=True),
    ]
    for was, now in owned:
        if was is not now or now.name[-1:].isdigit():
            tables.add(now.table_oid)
    for con in after.constraints:
        if (
            con.name[-1:].isdigit()
            or con.parent_oid in parents
            or (con.contype in "cn" and (con.schema_oid, con.name) in names)
        ):
            tables.add(con.table_oid)
    return tables


@dataclass(frozen=True, slots=True)
class Expected:
    """The names a catalog's objects have, to compare with names read.

    When names read are exactly these (every table, column, sequence, index
    and its columns, constraint and statistics name in its schema, and the
    multiset of relation, constraint and statistics names of each schema), a
    drift judgement of the catalog is one of the server's.

    :param rows: every table, column, sequence, index (and its columns),
        constraint and statistics name of the catalog, with its schema.
    :param others: per schema and space, the relation, constraint and
        statistics names the catalog takes besides *rows* (views, types…).
    :param possible: ``False`` when no read can match (the catalog's names
        disagree with themselves).
    """

    rows: frozenset[Row]
    others: dict[tuple[str, int], Counter[str]]
    possible: bool = True

    def met_by(self, names: Names) -> bool:
        """Tell whether *names*, read from the server, are exactly these."""
        if not self.possible:
            return False
        rest = names - self.rows
        if len(names) - len(rest) != len(self.rows):  # one pass: rows <= names
            return False
        read: dict[tuple[str, int], Counter[str]] = {}
        for at, schema, name in rest:
            if at & 3 != _COLUMN:
                read.setdefault((schema, at & 3), Counter())[name] += 1
        return read == self.others


def expected(catalog: Catalog) -> Expected:
    """Return the names of *catalog*, to compare with names read (:class:`Expected`).

    An object in a schema the catalog does not list gets the schema ``""``,
    which no read has: it never matches.
    """
    schema = {s.oid: s.name for s in catalog.schemas}.get
    relation, column = SPACES["relation"], _COLUMN
    tables, indexes = catalog.tables, catalog.indexes
    named = (
        [(t.oid << 13 | relation, schema(t.schema_oid, ""), t.name) for t in tables],
        [
            (s.oid << 13 | relation, schema(s.schema_oid, ""), s.name)
            for s in catalog.sequences
        ],
        [(i.oid << 13 | relation, schema(i.schema_oid, ""), i.name) for i in indexes],
        [
            (c.oid << 13 | SPACES["constraint"], schema(c.schema_oid, ""), c.name)
            for c in catalog.constraints
        ],
        [
            (s.oid << 13 | SPACES["statistics"], schema(s.schema_oid, ""), s.name)
            for s in catalog.statistics
        ],
    )
    columns = [
        (t.oid << 13 | n << 2 | column, schema(t.schema_oid, ""), c)
        for t in tables
        for n, c in zip(t.attnums, t.columns, strict=True)
    ]
    columns += [
        (i.oid << 13 | n << 2 | column, schema(i.schema_oid, ""), c)
        for i in indexes
        for n, c in enumerate(i.stored_names, 1)
    ]
    rows = frozenset(chain(*named, columns))
    # Per schema and space, the names taken less those listed: the others.
    left: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    for row in catalog.names:
        code = SPACES.get(row.space)  # not "type": object_names() has none
        name = schema(row.schema_oid)
        if code is not None and code != column and name is not None:
            left[name, code].update(row.names)
    for group in named:
        by_space: dict[tuple[str, int], list[str]] = defaultdict(list)
        for at, where, name in group:
            by_space[where, at & 3].append(name)
        for space, names in by_space.items():
            left[space].subtract(names)
    # a name listed more often than taken: no read can have both
    possible = all(min(c.values(), default=0) >= 0 for c in left.values())
    others = {space: kept for space, c in left.items() if (kept := +c)}
    return Expected(rows, others, possible)


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
