"""Targets: choose each drifted object's new name as PostgreSQL would today.

Stage: drift (helpers). Pure. Names already taken in the schema are avoided the
way ``ChooseRelationName`` / ``ChooseConstraintName`` avoid them (NAMING.md
§3.2); names freed by the same run are available, names chosen earlier in the
run are taken. Objects are named in OID order, the order they were created.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.naming import Encoding, build, choose, split_label

if TYPE_CHECKING:
    from collections.abc import Iterable

    from seqcheck.catalog import Catalog
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
        self, catalog: Catalog, enc: Encoding, renamed: Iterable[Subject]
    ) -> None:
        self._enc = enc
        self._taken: dict[tuple[int, str], set[str]] = defaultdict(set)
        for row in catalog.names:
            self._taken[(row.schema_oid, row.space)].update(row.names)
        self._freed: set[tuple[int, str, str]] = set()
        for subject in renamed:
            for space in spaces(subject.kind):
                self._taken[(subject.schema_oid, space)].discard(subject.name)
                self._freed.add((subject.schema_oid, space, subject.name))

    def _is_taken(self, subject: Subject, name: str) -> bool:
        return any(
            name in self._taken[(subject.schema_oid, s)] for s in spaces(subject.kind)
        )

    def _occupy(self, subject: Subject, name: str) -> None:
        for space in spaces(subject.kind):
            self._taken[(subject.schema_oid, space)].add(name)

    def choose(self, subject: Subject, middle: str | None) -> str:
        """Return and reserve the name a fresh build would give *subject*."""
        name = choose(
            subject.owner,
            middle,
            subject.label,
            lambda n: self._is_taken(subject, n),
            self._enc,
        )
        self._occupy(subject, name)
        return name

    def follow(self, subject: Subject, middle: str | None) -> str | None:
        """Return a lower collision number for *subject* if the run frees one.

        *subject* is a default name with collision digits (``orders_pkey1``);
        when a name below it is freed by this run, a fresh build would use it.
        """
        parsed = split_label(subject.name, subject.label)
        if parsed is None or not parsed.digits:
            return None
        lower = [subject.label] + [
            f"{subject.label}{n}" for n in range(1, int(parsed.digits))
        ]
        freed = any(
            (subject.schema_oid, space, build(subject.owner, middle, label, self._enc))
            in self._freed
            for label in lower
            for space in spaces(subject.kind)
        )
        if not freed:
            return None
        for space in spaces(subject.kind):
            self._taken[(subject.schema_oid, space)].discard(subject.name)
        name = self.choose(subject, middle)
        if name == subject.name:
            return None
        self._freed.update(
            (subject.schema_oid, s, subject.name) for s in spaces(subject.kind)
        )
        return name

    def plain_is_free(self, subject: Subject, middle: str | None) -> bool:
        """Tell whether the digit-less default name of *subject* is free."""
        plain = build(subject.owner, middle, subject.label, self._enc)
        return plain != subject.name and not self._is_taken(subject, plain)
