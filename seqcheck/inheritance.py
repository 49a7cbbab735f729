"""Inheritance: which constraint renames recurse, and which cannot be done.

Stage: plan (helpers). Pure. ``ALTER TABLE root RENAME CONSTRAINT c`` on a CHECK
or (PostgreSQL 18) NOT NULL constraint visits every inheritor and partition and
renames the constraint of the *same name* there (NAMING.md §5.1). A partition
attached with its own NOT NULL name (``p2_a_not_null``) makes the rename fail —
``constraint "p_a_not_null" for table "p2" does not exist`` — and the
partition's copy cannot be renamed on its own either (NAMING.md §4.8). Such a
finding is a dead end: reported, never attempted.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from seqcheck.findings import Kind

if TYPE_CHECKING:
    from collections.abc import Iterable

    from seqcheck.catalog import Catalog
    from seqcheck.findings import Finding

__all__ = ["dead_ends", "descendants"]


def descendants(catalog: Catalog) -> dict[int, tuple[int, ...]]:
    """Return every table's inheritors and partitions, at every level."""
    children: dict[int, list[int]] = defaultdict(list)
    for table in catalog.tables:
        for parent in table.parents:
            children[parent].append(table.oid)
    out: dict[int, tuple[int, ...]] = {}
    for root, direct in children.items():
        seen: list[int] = []
        todo = list(direct)
        while todo:
            oid = todo.pop()
            if oid not in seen:
                seen.append(oid)
                todo.extend(children.get(oid, ()))
        out[root] = tuple(seen)
    return out


def dead_ends(findings: Iterable[Finding], catalog: Catalog) -> tuple[Finding, ...]:
    """Return the NOT NULL findings whose recursing rename would fail.

    The rename recurses by name: every inheritor must hold a NOT NULL
    constraint of the same name on the same column.
    """
    below = descendants(catalog)
    constraints = {c.oid: c for c in catalog.constraints}
    named: dict[tuple[int, str], str] = {}
    for con in catalog.constraints:
        if con.contype == "n" and con.table_oid and con.column_names:
            named[(con.table_oid, con.column_names[0])] = con.name
    out: list[Finding] = []
    for finding in findings:
        found = constraints.get(finding.object_oid)
        if finding.kind is not Kind.NOT_NULL or found is None or not found.column_names:
            continue
        column = found.column_names[0]
        if any(
            named.get((child, column)) != finding.name
            for child in below.get(found.table_oid, ())
        ):
            out.append(finding)
    return tuple(out)
