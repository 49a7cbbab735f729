"""Plan: turn findings into ordered rename steps, each with its lock.

Stage: plan. Pure: imports records, findings and naming; never a connection.
Steps are ordered so that no step renames onto a name another planned object
still holds; a cycle (``a_pkey`` ↔ ``b_pkey``) goes through a free temporary
name. Index-column renames come last and name the index as it is by then.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from seqcheck.clones import foreign_key_clones
from seqcheck.findings import Finding, Kind, Tier
from seqcheck.inheritance import dead_ends
from seqcheck.naming import MAX_NAME, Encoding, encoding_for, name_bytes
from seqcheck.targets import spaces

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

    from seqcheck.catalog import Catalog
    from seqcheck.clones import RowTarget
    from seqcheck.drift import Drift

__all__ = [
    "DEFAULT_TIERS",
    "TEMP_SUFFIX",
    "Phase",
    "Plan",
    "RenameStep",
    "StatementKind",
    "direct_plan",
    "direct_step",
    "make_plan",
    "undo_steps",
]

#: What a plan renames unless told otherwise: certain and likely findings.
DEFAULT_TIERS: frozenset[Tier] = frozenset({Tier.CERTAIN, Tier.LIKELY})
#: Temporary names are ``<name>_seqcheck_tmp``, cut and numbered to be free.
TEMP_SUFFIX = "_seqcheck_tmp"


class StatementKind(StrEnum):
    """Which statement renames an object (NAMING.md §8.6)."""

    ALTER_INDEX = "ALTER INDEX RENAME"
    ALTER_SEQUENCE = "ALTER SEQUENCE RENAME"
    RENAME_CONSTRAINT = "ALTER TABLE RENAME CONSTRAINT"
    ALTER_STATISTICS = "ALTER STATISTICS RENAME"
    RENAME_DOMAIN_CONSTRAINT = "ALTER DOMAIN RENAME CONSTRAINT"
    RENAME_INDEX_COLUMN = "ALTER TABLE (index) RENAME COLUMN"


class Phase(StrEnum):
    """Whether a step is a plain rename or one half of a detour via a temp name."""

    RENAME = "rename"
    TO_TEMP = "to temporary name"
    FROM_TEMP = "from temporary name"


_STATEMENTS: dict[Kind, StatementKind] = {
    Kind.SEQUENCE: StatementKind.ALTER_SEQUENCE,
    Kind.PKEY: StatementKind.ALTER_INDEX,
    Kind.UNIQUE: StatementKind.ALTER_INDEX,
    Kind.EXCLUSION: StatementKind.ALTER_INDEX,
    Kind.INDEX: StatementKind.ALTER_INDEX,
    Kind.FKEY: StatementKind.RENAME_CONSTRAINT,
    Kind.CHECK: StatementKind.RENAME_CONSTRAINT,
    Kind.NOT_NULL: StatementKind.RENAME_CONSTRAINT,
    Kind.STATISTICS: StatementKind.ALTER_STATISTICS,
    Kind.DOMAIN: StatementKind.RENAME_DOMAIN_CONSTRAINT,
    Kind.INDEX_COLUMN: StatementKind.RENAME_INDEX_COLUMN,
}

# NAMING.md §5.2, read from pg_locks on 15.18 and 18.6.
_LOCKS: dict[Kind, str] = {
    Kind.SEQUENCE: "AccessExclusiveLock on the sequence",
    Kind.PKEY: "ShareUpdateExclusiveLock on the index",
    Kind.UNIQUE: "ShareUpdateExclusiveLock on the index",
    Kind.EXCLUSION: "ShareUpdateExclusiveLock on the index",
    Kind.INDEX: "ShareUpdateExclusiveLock on the index",
    Kind.FKEY: "AccessExclusiveLock on the table",
    Kind.CHECK: "AccessExclusiveLock on the table and each inheriting table",
    Kind.NOT_NULL: "AccessExclusiveLock on the table and each inheriting table",
    Kind.STATISTICS: "AccessExclusiveLock on the statistics object",
    Kind.DOMAIN: "no relation lock",
    Kind.INDEX_COLUMN: "AccessExclusiveLock on the index and its partition indexes",
}

_Slot = tuple[str, str, str]  # (schema, namespace, name)


@dataclass(frozen=True, slots=True)
class RenameStep:
    """One rename statement to run, with the lock it takes.

    :param old: the name the object has when this step runs (maybe temporary).
    :param new: the name it gets (maybe temporary).
    :param table: the owning table, or the domain for ``domain`` steps.
    :param index: for ``index-column`` steps, the index's name at this point.
    :param finding: the finding this step (helps to) fix.
    :param undo: the step undoes a rename of *finding* (``fix --reverse``):
        it renames *old*, the fixed name, back to *new*.
    :param follows: for a partition's copy of a foreign key or a row for a
        referenced partition, the finding of the foreign key it follows
        (:mod:`seqcheck.clones`); *finding* is then the copy's or row's own:
        on its partition, or under the row's name and new name.
    """

    kind: Kind
    schema: str
    table: str
    old: str
    new: str
    object_oid: int
    statement: StatementKind
    lock: str
    finding: Finding
    index: str = ""
    phase: Phase = Phase.RENAME
    undo: bool = False
    follows: Finding | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """Rename steps in a safe order, and findings left out.

    :param blocked: findings whose new name is held by an object the plan
        does not rename (one left out by the filters); they get no step.
    :param dead_ends: PostgreSQL 18 NOT NULL findings that no rename can fix
        (an attached partition keeps its own name; NAMING.md §4.8).
    """

    steps: tuple[RenameStep, ...]
    blocked: tuple[Finding, ...] = ()
    dead_ends: tuple[Finding, ...] = ()

    def by_finding(self) -> dict[Finding, tuple[RenameStep, ...]]:
        """Return the steps that fix each finding, in plan order.

        The renames of a foreign key's partition copies and of its rows for
        referenced partitions count as its own.
        """
        grouped: dict[Finding, list[RenameStep]] = {}
        for step in self.steps:
            grouped.setdefault(step.follows or step.finding, []).append(step)
        return {finding: tuple(steps) for finding, steps in grouped.items()}


@dataclass(slots=True)
class _Item:
    """A finding being planned: where its object is now and where it goes.

    *goal* and *held*: its slots under *target* and under *current* (made
    once: a plan looks them up several times per item).
    """

    finding: Finding
    current: str
    target: str
    spaces: tuple[str, ...]
    via_temp: bool = False
    follows: Finding | None = None
    goal: list[_Slot] = field(init=False)
    held: list[_Slot] = field(init=False)

    def __post_init__(self) -> None:
        self.goal = _slots(self, self.target)
        self.held = _slots(self, self.current)


def make_plan(
    drift: Drift,
    catalog: Catalog,
    *,
    keep_index_columns: bool = False,
    include: Collection[Tier] = DEFAULT_TIERS,
) -> Plan:
    """Return the ordered rename steps that fix *drift*'s findings.

    :param keep_index_columns: leave stale index column names alone.
    :param include: the tiers to rename; ``index-column`` findings are
        renamed unless *keep_index_columns*.
    """
    enc = encoding_for(catalog.server.encoding)
    schema_names = {s.oid: s.name for s in catalog.schemas}
    taken = _taken(catalog)
    renamed_columns = {
        f.object_oid for f in drift.findings if f.kind is Kind.INDEX_COLUMN
    }
    for index in catalog.indexes:
        if index.oid in renamed_columns:  # only their column names matter here
            schema = schema_names.get(index.schema_oid, "")
            column_space = _column_space(index.oid)
            taken.update((schema, column_space, c) for c in index.stored_names)
    objects: list[_Item] = []
    columns: list[_Item] = []
    dead = dead_ends(drift.findings, catalog)
    for finding in drift.findings:
        if finding in dead:
            continue
        if finding.kind is Kind.INDEX_COLUMN:
            if not keep_index_columns:
                space = (_column_space(finding.object_oid),)
                columns.append(
                    _Item(finding, finding.column, finding.new_column, space)
                )
        elif finding.tier in include and finding.name != finding.expected:
            objects.append(
                _Item(finding, finding.name, finding.expected, spaces(finding.kind))
            )
    objects, blocked = _unblocked(objects, taken, drift.rows)
    objects += _referenced_rows(objects, drift.rows)
    columns, blocked_columns = _unblocked(columns, taken)
    index_names = {i.finding.object_oid: i.target for i in objects}
    steps = _with_clones(_order(objects, taken, enc, index_names), catalog)
    steps += _order(columns, taken, enc, index_names)
    return Plan(tuple(steps), tuple(blocked + blocked_columns), dead)


def direct_plan(
    drift: Drift,
    catalog: Catalog,
    steps: Mapping[tuple[int, Kind], RenameStep],
    *,
    keep_index_columns: bool = False,
    include: Collection[Tier] = DEFAULT_TIERS,
) -> Plan | None:
    """Return :func:`make_plan`'s plan when it is *steps*, else ``None``.

    It is when each finding to rename has a step in *steps* (by object OID
    and kind, made by :func:`direct_step` for that very finding) and renames
    onto a name nothing holds: then no step waits for another, none is
    blocked, and make_plan takes them in finding order. Anything that makes
    more steps (an index column, a row for a referenced partition, a
    partition's copy of a foreign key) or none (a dead end) gives ``None``.
    Cheaper than make_plan when the steps exist already (:mod:`seqcheck.ahead`).
    """
    if drift.rows or dead_ends(drift.findings, catalog):
        return None
    taken = _taken(catalog)
    chosen: list[RenameStep] = []
    for finding in drift.findings:
        if finding.kind is Kind.INDEX_COLUMN:
            if keep_index_columns:
                continue
            return None
        if finding.tier not in include or finding.name == finding.expected:
            continue
        step = steps.get((finding.object_oid, finding.kind))
        if step is None or step.finding is not finding:
            return None
        for space in spaces(finding.kind):
            slot = (finding.schema, space, finding.expected)
            if slot in taken:  # held now, or by a step before
                return None
            taken.add(slot)
        chosen.append(step)
    if foreign_key_clones(
        catalog, [s.object_oid for s in chosen if s.kind is Kind.FKEY]
    ):
        return None
    return Plan(tuple(chosen))


def _taken(catalog: Catalog) -> set[_Slot]:
    """Return every name in use, as a slot: ``(schema, space, name)``."""
    schema_names = {s.oid: s.name for s in catalog.schemas}
    return {
        (schema_names.get(row.schema_oid, ""), row.space, name)
        for row in catalog.names
        for name in row.names
    }


def _referenced_rows(items: list[_Item], rows: Sequence[RowTarget]) -> list[_Item]:
    """Return items that rename the rows for referenced partitions of planned keys.

    Named by the drift stage as a fresh build names them
    (:class:`~seqcheck.targets.Namer`); a row already so named gets no item,
    and the rows of a key that is not renamed keep their names.
    """
    keys = {i.finding.object_oid: i for i in items if i.finding.kind is Kind.FKEY}
    out: list[_Item] = []
    for row in rows:
        item = keys.get(row.key_oid)
        if item is None or row.new == row.name:
            continue
        finding = item.finding._replace(
            name=row.name, expected=row.new, object_oid=row.oid
        )
        out.append(_Item(finding, row.name, row.new, item.spaces, follows=item.finding))
    return out


def _with_clones(steps: list[RenameStep], catalog: Catalog) -> list[RenameStep]:
    """Follow each foreign key's step with the same rename of its partition copies.

    Every step, temporary names included, so a copy passes through the names
    its parent passes through (NAMING.md §4.6, E07). Rows for referenced
    partitions have steps of their own (:func:`_referenced_rows`).
    """
    parents = {s.object_oid for s in steps if s.kind is Kind.FKEY and not s.follows}
    clones = foreign_key_clones(catalog, parents)
    if not clones:
        return steps
    out: list[RenameStep] = []
    for step in steps:
        out.append(step)
        parent = step.kind is Kind.FKEY and not step.follows
        for clone in clones.get(step.object_oid, ()) if parent else ():
            finding = step.finding._replace(
                schema=clone.schema,
                table=clone.table,
                object_oid=clone.oid,
                table_oid=clone.table_oid,
            )
            out.append(
                replace(
                    step,
                    schema=clone.schema,
                    table=clone.table,
                    object_oid=clone.oid,
                    finding=finding,
                    follows=step.finding,
                )
            )
    return out


def _column_space(index_oid: int) -> str:
    return f"index-column:{index_oid}"


def _slots(item: _Item, name: str) -> list[_Slot]:
    return [(item.finding.schema, space, name) for space in item.spaces]


def _unblocked(
    items: list[_Item], taken: set[_Slot], rows: Sequence[RowTarget] = ()
) -> tuple[list[_Item], list[Finding]]:
    """Split off items whose target is held by something the plan cannot move.

    A name is movable when a planned item holds it now, or a row of *rows*
    that follows a planned key (:func:`_referenced_rows`); an item left out
    keeps its name, which may in turn block another, so repeat until nothing
    changes. Of two items with the same target, the first in finding order wins.
    """
    active = list(items)
    blocked: list[Finding] = []
    while True:
        moving = [*active, *_referenced_rows(active, rows)]
        movable = {s for i in moving for s in i.held}
        claimed: set[_Slot] = set()
        keep: list[_Item] = []
        for item in active:
            targets = item.goal
            if any(s in claimed or (s in taken and s not in movable) for s in targets):
                blocked.append(item.finding)
            else:
                claimed.update(targets)
                keep.append(item)
        if len(keep) == len(active):
            return keep, blocked
        active = keep


def _order(
    items: list[_Item], taken: set[_Slot], enc: Encoding, index_names: dict[int, str]
) -> list[RenameStep]:
    """Order *items* so each target is free when renamed; break cycles via temps."""
    holder = {slot: number for number, item in enumerate(items) for slot in item.held}
    pending = list(range(len(items)))
    steps: list[RenameStep] = []
    targets = {slot for item in items for slot in item.goal}

    def used(slot: _Slot) -> bool:
        return slot in taken or slot in holder or slot in targets

    def move(number: int, new: str, phase: Phase) -> None:
        item = items[number]
        for slot in item.held:
            holder.pop(slot, None)
        item.held = item.goal if new == item.target else _slots(item, new)
        for slot in item.held:
            holder[slot] = number
        steps.append(_step(item, new, phase, index_names))
        item.current = new

    def blocker(number: int) -> int | None:
        for slot in items[number].goal:
            found = holder.get(slot, number)
            if found != number:
                return found
        return None

    while pending:
        waiting: list[int] = []
        for number in pending:
            item = items[number]
            if blocker(number) is None:
                phase = Phase.FROM_TEMP if item.via_temp else Phase.RENAME
                move(number, item.target, phase)
            else:
                waiting.append(number)
        if len(waiting) == len(pending):
            # Every item waits for another, so following the waits ends in a
            # cycle; park the first item on it under a temporary name.
            parked = _on_cycle(waiting[0], blocker)
            first = items[parked]
            first.via_temp = True
            move(parked, _temp_name(first, used, enc), Phase.TO_TEMP)
        pending = waiting
    return steps


def _on_cycle(start: int, blocker: Callable[[int], int | None]) -> int:
    """Return an item on the cycle that the waits from *start* lead to."""
    seen: set[int] = set()
    number: int | None = start
    while number is not None and number not in seen:
        seen.add(number)
        number = blocker(number)
    if number is None:  # pragma: no cover - a wait chain always ends in a cycle
        raise AssertionError("no cycle among waiting renames")
    return number


def _temp_name(item: _Item, used: Callable[[_Slot], bool], enc: Encoding) -> str:
    """Return ``<name>_seqcheck_tmp[N]``, cut to fit and free in every space."""
    number = 0
    while True:
        suffix = TEMP_SUFFIX + (str(number) if number else "")
        base = enc.cut(item.current, MAX_NAME - name_bytes(suffix, enc))
        name = base + suffix
        if not any(used(s) for s in _slots(item, name)):
            return name
        number += 1


def _step(
    item: _Item, new: str, phase: Phase, index_names: dict[int, str]
) -> RenameStep:
    finding = item.finding
    index = ""
    if finding.kind is Kind.INDEX_COLUMN:
        index = index_names.get(finding.object_oid, finding.object_name)
    return RenameStep(
        kind=finding.kind,
        schema=finding.schema,
        table=finding.table,
        old=item.current,
        new=new,
        object_oid=finding.object_oid,
        statement=_STATEMENTS[finding.kind],
        lock=_LOCKS[finding.kind],
        finding=finding,
        index=index,
        phase=phase,
        follows=item.follows,
    )


def direct_step(finding: Finding) -> RenameStep:
    """Return the step that renames *finding*'s object straight to its expected name.

    The step :func:`make_plan` makes for it when nothing holds that name and
    nothing follows the object (no index column, copy or row).
    """
    return _step(
        _Item(finding, finding.name, finding.expected, ()),
        finding.expected,
        Phase.RENAME,
        {},
    )


_UNDO_PHASE = {
    Phase.RENAME: Phase.RENAME,
    Phase.TO_TEMP: Phase.FROM_TEMP,
    Phase.FROM_TEMP: Phase.TO_TEMP,
}


def undo_steps(
    batches: Sequence[Sequence[RenameStep]],
) -> tuple[tuple[RenameStep, ...], ...]:
    """Return the transactions that undo *batches*, in the order to run them.

    Last batch first and, inside each, last step first, every step renaming
    its new name back to its old one. Each undo step finds the object under
    the name its forward step gave it, and the name it takes back is free
    again: the forward steps after it, which may have taken it, are undone.
    Temporary names are used the same way, in reverse.
    """
    return tuple(
        tuple(
            replace(
                step,
                old=step.new,
                new=step.old,
                phase=_UNDO_PHASE[step.phase],
                undo=not step.undo,
            )
            for step in reversed(batch)
        )
        for batch in reversed(batches)
    )
