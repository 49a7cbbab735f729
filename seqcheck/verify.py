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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from seqcheck.findings import Kind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from seqcheck.drift import Drift
    from seqcheck.plan import RenameStep

__all__ = ["Names", "Rename", "renames", "reported", "unexpected"]

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
            index = after.get(("relation", key[1], 0), (schema, "?"))[1]
            what = f"column {old} of index {schema}.{index}"
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
