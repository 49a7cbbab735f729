"""Targets: choose each drifted object's new name as PostgreSQL would today.

Stage: drift (helpers). Pure. Names already taken in the schema are avoided the
way ``ChooseRelationName`` / ``ChooseConstraintName`` avoid them (NAMING.md
§3.2); names freed by the same run are available, names chosen earlier in the
run are taken. Objects are named in OID order, the order they were created,
and so are the rows for referenced partitions of the foreign keys renamed
(:mod:`seqcheck.clones`), which follow their key: between one key and the next
on the same columns in a single ``CREATE TABLE``, as PostgreSQL names them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from seqcheck.clones import RowTarget, own_named_copy, referenced_rows, row_rule
from seqcheck.findings import Kind
from seqcheck.naming import Encoding, NameRule, build, choose_number, split_label

if TYPE_CHECKING:
    from collections.abc import Iterable

    from seqcheck.catalog import Catalog, Constraint
    from seqcheck.rules import Subject

__all__ = ["Namer", "spaces"]

_SPACES: dict[Kind, tuple[str, ...]] = {
    Kind.SEQUENCE: ("relation", "type"),
    Kind.INDEX: ("relation",),
    Kind.PKEY: ("relation", "constraint"),
    Kind.UNIQUE: ("relation", "constraint"),
    Kind.EXCLUSION: ("relation", "constraint"),
    Kind.FKEY: ("constraint",),
    Kind.CHECK: ("constraint",),
    Kind.NOT_NULL: ("constraint",),
    Kind.DOMAIN: ("constraint",),
    Kind.STATISTICS: ("statistics",),
}


def spaces(kind: Kind) -> tuple[str, ...]:
    """Return the namespaces a default name of *kind* must be free in."""
    return _SPACES[kind]


class Namer:
    """Hands out target names, tracking what is taken, freed and planned."""

    def __init__(
        self,
        catalog: Catalog,
        enc: Encoding,
        renamed: Iterable[Subject],
        digits: Iterable[Subject] = (),
    ) -> None:
        self._enc = enc
        self._major = catalog.server.major
        self._taken: dict[tuple[int, str], set[str]] = defaultdict(set)
        for row in catalog.names:
            self._taken[(row.schema_oid, row.space)].update(row.names)
        self._freed: dict[tuple[int, str], set[str]] = defaultdict(set)
        self._indexes: dict[tuple[int, str, str], dict[tuple[str, int], int]] = {}
        self._hints: dict[tuple[int, tuple[str, ...], NameRule], int] = {}
        # Constraint names are unique per table, not per schema: a name one
        # renamed constraint leaves stays taken while another holds it (but
        # not a copy that carries its parent's name and is renamed with it).
        parents = {c.oid: c for c in catalog.constraints}
        self._holders = Counter(
            (c.schema_oid, c.name)
            for c in catalog.constraints
            if not _is_copy(c, parents)
        )
        self._holders.update(
            (i.schema_oid, i.name) for i in catalog.indexes if i.constraint_type
        )
        renamed = list(renamed)
        for subject in renamed:
            for space in spaces(subject.kind):
                self._leave(subject.schema_oid, space, subject.name)
        # Names with collision digits (:meth:`follow`) are named again in OID
        # order: until then, an older renamed object may take one, as it
        # would in a fresh build, where it came first.
        self._claimed: set[tuple[int, str, str]] = set()
        for subject in digits:
            for space in spaces(subject.kind):
                if (
                    space != "constraint"
                    or self._holders[(subject.schema_oid, subject.name)] <= 1
                ):
                    self._taken[(subject.schema_oid, space)].discard(subject.name)
        keys = {s.oid: s.name for s in renamed if s.kind is Kind.FKEY and not s.key_oid}
        found = referenced_rows(catalog, keys)
        self._old = dict(keys)
        self._up: dict[int, int] = {}
        self._key_of: dict[int, int] = {}
        self._pending: list[Constraint] = []  # by OID, last first
        for key, rows in found.items():
            for con in rows:
                self._old[con.oid] = con.name
                self._up[con.oid] = con.parent_oid
                self._key_of[con.oid] = key
                self._pending.append(con)
                self._leave(con.schema_oid, "constraint", con.name)
        self._pending.sort(key=lambda con: con.oid, reverse=True)
        self._new: dict[int, str] = {}
        self._keys: dict[int, tuple[str, str | None]] = {}  # OID: table, middle
        self._rows: list[RowTarget] = []

    def _is_taken(self, subject: Subject, name: str) -> bool:
        return any(
            name in self._taken[(subject.schema_oid, s)] for s in spaces(subject.kind)
        )

    def _occupy(self, subject: Subject, name: str, *, claim: bool = True) -> None:
        for space in spaces(subject.kind):
            self._taken[(subject.schema_oid, space)].add(name)
            if claim:
                self._claimed.add((subject.schema_oid, space, name))

    def choose(self, subject: Subject, middle: str | None) -> str:
        """Return and reserve the name a fresh build would give *subject*."""
        self._name_rows(before=subject.oid)
        name = self._pick(
            subject.schema_oid,
            spaces(subject.kind),
            NameRule(subject.owner, middle, subject.label, 0),
        )
        self._reserve(subject, name, middle)
        return name

    def _pick(self, schema_oid: int, where: tuple[str, ...], rule: NameRule) -> str:
        """Return the first name of *rule* free in the spaces *where*.

        Numbers found taken are remembered per rule (names are only added until
        :meth:`follow` frees one), so the 1,000th row of one key is not
        preceded by 999 tries.
        """
        hint = (schema_oid, where, rule)
        taken = [self._taken[(schema_oid, space)] for space in where]
        held = (
            taken[0].__contains__
            if len(taken) == 1
            else lambda n: any(n in names for names in taken)
        )
        name, number = choose_number(
            rule.name1,
            rule.name2,
            rule.label,
            held,
            self._enc,
            first=max(rule.first, self._hints.get(hint, 0)),
        )
        self._hints[hint] = number + 1
        return name

    def named(self, subject: Subject, name: str, middle: str | None) -> None:
        """Reserve *name*, chosen for *subject* by a convention."""
        self._name_rows(before=subject.oid)
        self._reserve(subject, name, middle)

    def _reserve(self, subject: Subject, name: str, middle: str | None) -> None:
        self._occupy(subject, name)
        if subject.oid in self._old:
            self._new[subject.oid] = name
            self._keys[subject.oid] = (subject.owner, middle)

    def rows(self) -> tuple[RowTarget, ...]:
        """Name the rows still to name; return every row's target, in OID order."""
        self._name_rows(before=None)
        return tuple(self._rows)

    def _name_rows(self, before: int | None) -> None:
        """Name the rows for referenced partitions created before OID *before*."""
        while self._pending and (before is None or self._pending[-1].oid < before):
            row = self._pending.pop()
            key = self._key_of[row.oid]
            space = self._taken[(row.schema_oid, "constraint")]
            if key not in self._keys:  # its key keeps its name, so does the row
                space.add(row.name)
                continue
            table, middle = self._keys[key]
            rule = row_rule(
                row,
                key,
                table=table,
                middle=middle,
                old=self._old,
                up=self._up,
                new=self._new,
                major=self._major,
                enc=self._enc,
            )
            name = self._pick(row.schema_oid, ("constraint",), rule)
            space.add(name)
            self._new[row.oid] = name
            self._rows.append(RowTarget(key, row.oid, row.name, name))

    def follow(self, subject: Subject, middle: str | None) -> tuple[str, bool] | None:
        """Return *subject*'s new collision number, and whether it was taken.

        *subject* is a default name with collision digits (``orders_pkey1``),
        named in OID order with the renamed objects (it was one of *digits*).
        When a name below it is freed by this run, a fresh build would use it
        (``False``); when an older object took its name in this run, a fresh
        build would give it the next free one (``True``). Else it keeps its
        name: ``None``.
        """
        parsed = split_label(subject.name, subject.label)
        if parsed is None or not parsed.digits:
            return None
        self._name_rows(before=subject.oid)
        taken = any(
            (subject.schema_oid, space, subject.name) in self._claimed
            for space in spaces(subject.kind)
        )
        if not taken and not self._lower_freed(subject, middle, int(parsed.digits)):
            self._occupy(subject, subject.name, claim=False)
            return None
        self._hints.clear()  # a name is free again
        name = self.choose(subject, middle)
        if name == subject.name:
            return None
        if not taken:
            for space in spaces(subject.kind):
                self._leave(subject.schema_oid, space, subject.name)
            self._hints.clear()  # its old name may be free now
        return name, taken

    def _lower_freed(self, subject: Subject, middle: str | None, number: int) -> bool:
        """Tell whether the run frees *subject*'s name with a number below *number*.

        Without building every lower name (a row for the 1,000th partition is
        ``fr_id_fkey1000``): the names freed are indexed by body and digit
        count, and only the body changes with the digit count, when a long
        name is cut to make room for them.
        """
        label = subject.label
        widths = range(len(str(number - 1)) + 1 if number > 1 else 1)
        for space in spaces(subject.kind):
            index = self._freed_index(subject.schema_oid, space, label)
            if not index:
                continue
            for width in widths:
                full = build(subject.owner, middle, label + "0" * width, self._enc)
                body = full[: -(len(label) + width + 1)]
                lowest = index.get((body, width))
                if lowest is not None and lowest < number:
                    return True
        return False

    def _freed_index(
        self, schema_oid: int, space: str, label: str
    ) -> dict[tuple[str, int], int]:
        """Return the lowest number freed per ``(body, digit count)`` of *label*."""
        key = (schema_oid, space, label)
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = {}
            for name in self._freed.get((schema_oid, space), ()):
                _index_name(index, name, label)
        return index

    def _leave(self, schema_oid: int, space: str, name: str) -> None:
        """Count *name* as left by one holder: free once no other holds it."""
        if space == "constraint":
            self._holders[(schema_oid, name)] -= 1
            if self._holders[(schema_oid, name)] > 0:
                self._taken[(schema_oid, space)].add(name)
                return
        self._taken[(schema_oid, space)].discard(name)
        self._free(schema_oid, space, name)

    def _free(self, schema_oid: int, space: str, name: str) -> None:
        """Count *name* as freed by the run."""
        self._freed[(schema_oid, space)].add(name)
        for (schema, where, label), index in self._indexes.items():
            if (schema, where) == (schema_oid, space):
                _index_name(index, name, label)

    def plain_is_free(self, subject: Subject, middle: str | None) -> bool:
        """Tell whether the digit-less default name of *subject* is free."""
        plain = build(subject.owner, middle, subject.label, self._enc)
        return plain != subject.name and not self._is_taken(subject, plain)


def _is_copy(con: Constraint, parents: dict[int, Constraint]) -> bool:
    """Tell whether *con* is a copy named as the constraint it comes from.

    An inherited CHECK or NOT NULL, or a foreign key's partition copy: both
    renamed with their parent (NAMING.md §5.1; :mod:`seqcheck.clones`).
    """
    if own_named_copy(con, parents):
        return False
    if con.inherit_count > 0:  # named as its parent's, merged or not
        return True
    parent = parents.get(con.parent_oid)
    return parent is not None and parent.name == con.name


def _index_name(index: dict[tuple[str, int], int], name: str, label: str) -> None:
    """Add *name*, if it ends in ``_<label>[N]``, to a :meth:`Namer._freed_index`."""
    parsed = split_label(name, label)
    if parsed is None or parsed.digits.startswith("0"):
        return
    key = (parsed.body, len(parsed.digits))
    number = int(parsed.digits or 0)
    if number < index.get(key, number + 1):
        index[key] = number
