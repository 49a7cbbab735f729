"""Batches: split a plan into transactions that fit the server's lock table.

Stage: plan (pure). Imports the plan and catalog types; never a connection.
:mod:`seqcheck.apply` runs one transaction per batch, and ``fix --format sql``
writes one ``BEGIN … COMMIT`` per batch, from the same :func:`split_plan`.

Every rename keeps its locks until its transaction ends, and the server's
shared lock table is sized for ``max_locks_per_transaction ×
(max_connections + max_prepared_transactions)`` locks *in all sessions
together*. A plan whose locks fit in :meth:`LockTable.budget` runs in one
transaction; a larger one is cut into batches that each fit.

What each statement locks (read from ``pg_locks`` on 15.18 and 18.6; NAMING.md
§5.2): ``ALTER INDEX`` and ``ALTER SEQUENCE``, the renamed relation;
``ALTER TABLE … RENAME CONSTRAINT``, the table, and for a CHECK or NOT NULL
constraint every inheritor and partition at any depth (``find_all_inheritors``);
``ALTER TABLE <index> RENAME COLUMN``, the index and every partition index
below it; ``ALTER STATISTICS``, one object lock; ``ALTER DOMAIN … RENAME
CONSTRAINT``, only a fast-path lock on ``pg_type``. A relation locked twice in
one transaction counts once.

Steps are grouped into units that never span two batches: all renames of one
table (or domain), joined with every unit whose names they take over (a chain
``a → b → c``, or a swap through a temporary name), and a foreign key's rename
with those of its partition copies and of its rows for referenced partitions
(:mod:`seqcheck.clones`; a re-run would not find them stale).
Inside a unit, steps keep the plan's dependencies but take their locks in the
order writers take theirs (table, then index, then sequence); units that
reference another table by a foreign key come before it. An ``INSERT`` locks
its table, then its indexes, then calls ``nextval``, then checks its foreign
keys: taking locks in the other order deadlocks with it, and the writer, which
waited first, would be the one to get the error.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.plan import StatementKind

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from seqcheck.catalog import Catalog
    from seqcheck.plan import Plan, RenameStep

__all__ = [
    "DEFAULT_LOCK_TABLE",
    "LOCK_OVERHEAD",
    "MIN_BUDGET",
    "Batch",
    "LockTable",
    "locked",
    "split_plan",
]

# Locks an apply transaction takes in the shared table besides its renames'.
# Measured with pg_locks after one rename and the verifying catalog re-read:
# 17 catalog tables and indexes beyond the 16 fast-path slots, plus the
# transaction ID, on 15.18; 1 on 18.6 (fast-path slots grow with
# max_locks_per_transaction there). Twice that, rounded up.
LOCK_OVERHEAD = 40
#: The smallest lock budget of a batch, however small the lock table.
MIN_BUDGET = 8
# The safety margin: a batch may use this share of the guaranteed lock table.
# Measured (advisory locks in one transaction until "out of shared memory"):
# the table really holds 1.9-2.3x the formula with default settings and 3.7-7x
# with small ones, on 15.18 and 18.6. Half the guaranteed size leaves the other
# sessions at least 1.4x the formula even on the tightest server measured.
BUDGET_SHARE = 0.5

_Lock = tuple[str, int]  # ("relation" | "object", oid)


@dataclass(frozen=True, slots=True)
class LockTable:
    """The server settings that size the shared lock table."""

    max_locks_per_transaction: int
    max_connections: int
    max_prepared_transactions: int

    @property
    def size(self) -> int:
        """Return the guaranteed number of lock slots (PostgreSQL's formula)."""
        sessions = self.max_connections + self.max_prepared_transactions
        return self.max_locks_per_transaction * sessions

    def budget(self) -> int:
        """Return how many locks one apply transaction may take."""
        return max(MIN_BUDGET, int(self.size * BUDGET_SHARE) - LOCK_OVERHEAD)

    def describe(self) -> str:
        """Return the settings in one line."""
        return (
            f"max_locks_per_transaction {self.max_locks_per_transaction} ×"
            f" (max_connections {self.max_connections} +"
            f" max_prepared_transactions {self.max_prepared_transactions})"
        )


#: PostgreSQL's default settings (``--schema-file`` scripts are cut for them).
DEFAULT_LOCK_TABLE = LockTable(64, 100, 0)


@dataclass(frozen=True, slots=True)
class Batch:
    """Steps that run in one transaction, and the relations and objects they lock."""

    steps: tuple[RenameStep, ...]
    locks: int


def split_plan(
    plan: Plan,
    catalog: Catalog,
    *,
    locks: int | None = None,
    statements: int | None = None,
) -> tuple[Batch, ...]:
    """Return *plan* as batches of at most *locks* locks, or *statements* steps.

    *statements* (``--batch N``) overrides *locks*; with neither, one batch.
    A unit larger than the limit gets a batch of its own (it cannot be
    split). Steps run in lock order (see the module docstring).
    """
    if not plan.steps:
        return ()
    graph = _Graph(catalog)
    units = _order_units(_units(plan.steps), graph)
    if statements is None:
        total = {lock for step in plan.steps for lock in graph.locks(step)}
        if locks is None or len(total) <= locks:  # one transaction
            return (Batch(tuple(step for unit in units for step in unit), len(total)),)
    batches: list[Batch] = []
    current: list[tuple[RenameStep, ...]] = []
    held: set[_Lock] = set()
    count = 0
    for unit in units:
        needed = {lock for step in unit for lock in graph.locks(step)}
        if statements is None:
            over = locks is not None and len(held | needed) > locks
        else:
            over = count + len(unit) > statements
        if current and over:
            batches.append(_batch(current, held))
            current, held, count = [], set(), 0
        current.append(unit)
        held |= needed
        count += len(unit)
    batches.append(_batch(current, held))
    return tuple(batches)


def locked(step: RenameStep, catalog: Catalog) -> frozenset[_Lock]:
    """Return the relations and objects *step*'s statement locks."""
    return frozenset(_Graph(catalog).locks(step))


def _batch(units: list[tuple[RenameStep, ...]], held: set[_Lock]) -> Batch:
    return Batch(tuple(step for unit in units for step in unit), len(held))


class _Graph:
    """Inheritance and foreign keys from the catalog, for locks and ordering."""

    def __init__(self, catalog: Catalog) -> None:
        self.children: dict[int, list[int]] = {}
        for table in catalog.tables:
            for parent in table.parents:
                self.children.setdefault(parent, []).append(table.oid)
        for index in catalog.indexes:
            if index.parent_oid:
                self.children.setdefault(index.parent_oid, []).append(index.oid)
        self.references: dict[int, set[int]] = {}
        for con in catalog.constraints:
            if con.contype == "f" and con.references_oid != con.table_oid:
                self.references.setdefault(con.table_oid, set()).add(con.references_oid)
        self._below: dict[int, tuple[int, ...]] = {}

    def below(self, oid: int) -> tuple[int, ...]:
        """Return every inheritor of *oid* at any depth (tables or indexes)."""
        found = self._below.get(oid)
        if found is None:
            seen: dict[int, None] = {}
            stack = list(self.children.get(oid, ()))
            while stack:
                child = stack.pop()
                if child not in seen:
                    seen[child] = None
                    stack.extend(self.children.get(child, ()))
            found = self._below[oid] = tuple(seen)
        return found

    def locks(self, step: RenameStep) -> list[_Lock]:
        match step.statement:
            case StatementKind.ALTER_INDEX | StatementKind.ALTER_SEQUENCE:
                return [("relation", step.object_oid)]
            case StatementKind.RENAME_INDEX_COLUMN:
                oids = (step.object_oid, *self.below(step.object_oid))
                return [("relation", oid) for oid in oids]
            case StatementKind.RENAME_CONSTRAINT:
                table = step.finding.table_oid
                recursing = step.kind in {Kind.CHECK, Kind.NOT_NULL}
                oids = (table, *(self.below(table) if recursing else ()))
                return [("relation", oid) for oid in oids]
            case StatementKind.ALTER_STATISTICS:
                return [("object", step.object_oid)]
            case StatementKind.RENAME_DOMAIN_CONSTRAINT:
                return []


# The order a unit's statements take their locks in, the order writers take
# theirs: the table, the indexes, then the sequence.
_LOCK_ORDER: dict[StatementKind, int] = {
    StatementKind.RENAME_CONSTRAINT: 0,
    StatementKind.RENAME_INDEX_COLUMN: 1,
    StatementKind.ALTER_INDEX: 2,
    StatementKind.ALTER_STATISTICS: 2,
    StatementKind.RENAME_DOMAIN_CONSTRAINT: 2,
    StatementKind.ALTER_SEQUENCE: 3,
}


def _owner(step: RenameStep) -> tuple[str, str, int]:
    """Return what a step's unit is keyed on: its table, or its domain."""
    if step.finding.table_oid:
        return ("table", "", step.finding.table_oid)
    return ("domain", f"{step.schema}.{step.table}", 0)


def _object(step: RenameStep) -> tuple[str, int]:
    space = "index" if step.statement is StatementKind.ALTER_INDEX else str(step.kind)
    return (space, step.object_oid)


def _names(step: RenameStep, name: str) -> tuple[str, ...]:
    """Return the keys under which *name* is held, coarsely: by schema."""
    if step.kind is Kind.INDEX_COLUMN:
        return (f"{step.object_oid}\0{name}",)
    return (f"{step.schema}\0{name}",)


def _units(steps: Sequence[RenameStep]) -> list[tuple[RenameStep, ...]]:
    """Group *steps* into units and order each unit's steps (module docstring)."""
    parent = list(range(len(steps)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    first_of: dict[object, int] = {}
    vacated: dict[str, int] = {}  # name key -> the last step that left it
    last_on: dict[tuple[str, int], int] = {}  # object -> its last step
    after: dict[int, list[int]] = {}  # step -> steps that must come after it
    for number, step in enumerate(steps):
        union(number, first_of.setdefault(_owner(step), number))
        if step.kind is Kind.FKEY:  # with its copies and rows (seqcheck.clones)
            family = ("fkey", (step.follows or step.finding).object_oid)
            union(number, first_of.setdefault(family, number))
        before: set[int] = set()
        for key in _names(step, step.new):
            if key in vacated:
                before.add(vacated[key])
        obj = _object(step)
        if obj in last_on:
            before.add(last_on[obj])
        if step.kind is Kind.INDEX_COLUMN and ("index", step.object_oid) in last_on:
            before.add(last_on["index", step.object_oid])
        for earlier in before:
            union(number, earlier)
            after.setdefault(earlier, []).append(number)
        for key in _names(step, step.old):
            vacated[key] = number
        last_on[obj] = number
    groups: dict[int, list[int]] = {}
    for number in range(len(steps)):
        groups.setdefault(find(number), []).append(number)
    return [_lock_order(members, steps, after) for members in groups.values()]


def _lock_order(
    members: list[int], steps: Sequence[RenameStep], after: dict[int, list[int]]
) -> tuple[RenameStep, ...]:
    """Return *members* in dependency order, table locks first, then plan order."""
    waiting = dict.fromkeys(members, 0)
    for number in members:
        for later in after.get(number, ()):
            waiting[later] += 1
    ready = [(_LOCK_ORDER[steps[n].statement], n) for n, c in waiting.items() if not c]
    heapq.heapify(ready)
    ordered: list[RenameStep] = []
    while ready:
        _, number = heapq.heappop(ready)
        ordered.append(steps[number])
        for later in after.get(number, ()):
            waiting[later] -= 1
            if not waiting[later]:
                heapq.heappush(ready, (_LOCK_ORDER[steps[later].statement], later))
    return tuple(ordered)


def _order_units(
    units: list[tuple[RenameStep, ...]], graph: _Graph
) -> list[tuple[RenameStep, ...]]:
    """Put a unit whose table references another unit's table before that one.

    Depth-first over foreign keys, from the units in plan order; a cycle of
    references keeps plan order.
    """
    by_table: dict[int, int] = {}
    for number, unit in enumerate(units):
        for step in unit:
            if step.finding.table_oid:
                by_table.setdefault(step.finding.table_oid, number)
    referrers: dict[int, set[int]] = {}
    for table, targets in graph.references.items():
        source = by_table.get(table)
        if source is None:
            continue
        for target in targets:
            referred = by_table.get(target)
            if referred is not None and referred != source:
                referrers.setdefault(referred, set()).add(source)
    placed: list[int] = []
    state: dict[int, int] = {}  # 1: being placed, 2: placed

    def place(start: int) -> None:
        stack: list[tuple[int, Iterator[int]]] = [
            (start, iter(sorted(referrers.get(start, ()))))
        ]
        state[start] = 1
        while stack:
            number, pending = stack[-1]
            for source in pending:
                if source not in state:
                    state[source] = 1
                    stack.append((source, iter(sorted(referrers.get(source, ())))))
                    break
            else:
                stack.pop()
                state[number] = 2
                placed.append(number)

    for number in range(len(units)):
        if number not in state:
            place(number)
    return [units[number] for number in placed]
