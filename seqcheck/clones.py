"""Clones: the partition copies of a foreign key, which follow their parent's name.

Stage: plan (pure). Imports catalog records; never a connection. A foreign key
on a partitioned table has a copy on every partition (``conparentid`` set, at
any depth) that carries the parent's name (NAMING.md §4.6, D04).
``ALTER TABLE … RENAME CONSTRAINT`` on the parent does not recurse, and each
copy can be renamed on its own (E07), so a plan that renames the parent
renames every copy that still carries its name the same way, and the catalog
then matches a fresh build. Copies with a name of their own (a partition that
already had a constraint of that name when it was attached) and the rows
PostgreSQL adds for each partition of a partitioned *referenced* table
(``fkey1``, ``fkey_1``) are left alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Collection

    from seqcheck.catalog import Catalog, Constraint

__all__ = ["Clone", "foreign_key_clones"]


class Clone(NamedTuple):
    """A partition's copy of a foreign key, where it lives and what it is called."""

    oid: int
    schema: str
    table: str
    table_oid: int


def foreign_key_clones(
    catalog: Catalog, parents: Collection[int]
) -> dict[int, tuple[Clone, ...]]:
    """Return the copies of each foreign key in *parents* that carry its name.

    Copies of copies count while they carry the name too.
    """
    wanted = set(parents)
    if not wanted:
        return {}
    children: dict[int, list[Constraint]] = {}
    by_oid: dict[int, Constraint] = {}
    for con in catalog.constraints:
        if con.contype == "f":
            by_oid[con.oid] = con
            if con.parent_oid:
                children.setdefault(con.parent_oid, []).append(con)
    tables = {t.oid: t for t in catalog.tables}
    schemas = {s.oid: s.name for s in catalog.schemas}
    found: dict[int, tuple[Clone, ...]] = {}
    for oid in wanted:
        parent = by_oid.get(oid)
        if parent is None or oid not in children:
            continue
        copies: list[Clone] = []
        stack = list(children[oid])
        while stack:
            con = stack.pop()
            table = tables.get(con.table_oid)
            if con.name != parent.name or table is None:
                continue
            schema = schemas.get(con.schema_oid, "")
            copies.append(Clone(con.oid, schema, table.name, table.oid))
            stack.extend(children.get(con.oid, ()))
        if copies:
            found[oid] = tuple(sorted(copies, key=lambda c: (c.schema, c.table)))
    return found
