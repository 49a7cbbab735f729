"""Verify: what a batch of renames did, compared with what it was planned to do.

Stage: apply's pure half. Imports catalog, drift, findings and plan types;
never a connection. :mod:`seqcheck.apply` re-reads the catalog inside each
batch's transaction and commits only when :func:`problems` finds nothing:
every planned object carries its new name, no finding the batch covers is
reported again, and no other name changed, except the copies a recursing
rename renames along (a CHECK or NOT NULL constraint of an inheritor, a
partition index's column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from seqcheck.findings import Kind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from seqcheck.catalog import Catalog
    from seqcheck.drift import Drift
    from seqcheck.plan import RenameStep

__all__ = ["Rename", "problems", "renames"]

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
# Renames that also rename same-named copies in inheritors (NAMING.md §5.1).
_RECURSING = {Kind.CHECK: "constraint", Kind.NOT_NULL: "constraint"}

_Key = tuple[str, int]  # (category, oid)


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


def problems(
    done: Sequence[Rename], before: Catalog | None, after: Catalog, drift: Drift
) -> list[str]:
    """Return what is wrong after *done*, as read in *after* and *drift*.

    :param before: the catalog as it was before the renames; ``None`` skips
        the check that nothing else changed.
    """
    names = _names(after)
    stored = {i.oid: i.stored_names for i in after.indexes}
    new_columns = {(r.object_oid, r.new) for r in done if r.kind is Kind.INDEX_COLUMN}
    objects = {(_CATEGORY[r.kind], r.object_oid) for r in done}
    found: list[str] = []
    for rename in done:
        what = f"{rename.kind} {rename.schema}.{rename.old}"
        if rename.kind is Kind.INDEX_COLUMN:
            columns = stored.get(rename.object_oid, ())
            stale = (rename.object_oid, rename.old) not in new_columns
            if rename.new not in columns or (stale and rename.old in columns):
                found.append(
                    f"index {rename.schema}.{rename.index} stores"
                    f" {', '.join(columns)}, not {rename.new} for {rename.old}"
                )
            continue
        now = names.get((_CATEGORY[rename.kind], rename.object_oid))
        if now != rename.new:
            shown = "is gone" if now is None else f"is named {now!r}"
            found.append(f"{what} {shown}, not {rename.new!r}")
    for finding in drift.findings:
        if finding.kind is Kind.INDEX_COLUMN:
            planned = (finding.object_oid, finding.column) in new_columns
        else:
            planned = (_CATEGORY[finding.kind], finding.object_oid) in objects
        if planned:
            found.append(f"still reported: {finding.message}")
    if before is not None:
        found += _others(done, before, after, names, objects)
    return found


def _names(catalog: Catalog) -> dict[_Key, str]:
    names: dict[_Key, str] = {}
    names.update((("sequence", s.oid), s.name) for s in catalog.sequences)
    names.update((("index", i.oid), i.name) for i in catalog.indexes)
    names.update((("constraint", c.oid), c.name) for c in catalog.constraints)
    names.update((("statistics", s.oid), s.name) for s in catalog.statistics)
    return names


def _others(
    done: Sequence[Rename],
    before: Catalog,
    after: Catalog,
    names: dict[_Key, str],
    objects: set[_Key],
) -> list[str]:
    """Return names that changed although *done* does not rename them."""
    along = {(_RECURSING[r.kind], r.old, r.new) for r in done if r.kind in _RECURSING}
    along |= {("column", r.old, r.new) for r in done if r.kind is Kind.INDEX_COLUMN}
    planned_columns = {r.object_oid for r in done if r.kind is Kind.INDEX_COLUMN}
    schemas = {s.oid: s.name for s in after.schemas}
    where = {("index", i.oid): i.schema_oid for i in before.indexes}
    where.update((("sequence", s.oid), s.schema_oid) for s in before.sequences)
    where.update((("constraint", c.oid), c.schema_oid) for c in before.constraints)
    where.update((("statistics", s.oid), s.schema_oid) for s in before.statistics)
    found: list[str] = []
    for key, old in _names(before).items():
        new = names.get(key)
        if new is None or new == old or key in objects:
            continue
        if (key[0], old, new) in along:
            continue
        schema = schemas.get(where.get(key, 0), "?")
        found.append(f"{key[0]} {schema}.{old} is now named {new!r}, not planned")
    stored = {i.oid: i for i in after.indexes}
    for index in before.indexes:
        now = stored.get(index.oid)
        if now is None or now.stored_names == index.stored_names:
            continue
        if index.oid in planned_columns:
            continue
        pairs = zip(index.stored_names, now.stored_names, strict=False)
        if all(a == b or ("column", a, b) in along for a, b in pairs):
            continue
        schema = schemas.get(index.schema_oid, "?")
        found.append(
            f"index {schema}.{now.name} now stores {', '.join(now.stored_names)},"
            " not planned"
        )
    return found
