"""Clones: the rows PostgreSQL adds for a foreign key, which follow their parent.

Stage: plan (pure). Imports catalog records and naming; never a connection.
A foreign key has two kinds of rows below it (``conparentid`` set), neither
of which pg_dump writes or seqcheck reports on its own (NAMING.md §4.6):

* **Partition copies.** A foreign key on a partitioned table has a copy on
  every partition, at any depth, that carries the parent's name (D04).
  ``ALTER TABLE … RENAME CONSTRAINT`` on the parent does not recurse, and each
  copy can be renamed on its own (E07), so a plan that renames the parent
  renames every copy that still carries its name the same way. Copies with a
  name of their own (a partition that already had a constraint of that name
  when it was attached) are left alone.
* **Rows for referenced partitions.** A foreign key that references a
  partitioned table gets one row per partition of it, at any depth, on the
  *same* table (``conrelid``), ``conislocal = false``, ``confrelid`` = the
  partition, created depth-first in partition bound order (so in OID order,
  and a later ``ATTACH`` adds one at the end); a row for a sub-partition hangs
  from its partition's row. They are named (verified on 15.18 and 18.6):

  * 12–17: ``choose(<table>, <columns>, "fkey")``, the next free collision
    digits: ``fr_id_fkey1``, ``fr_id_fkey2`` (D05a);
  * 18: ``<name>_N``, N from 1 and first free, *name* cut to fit (D05b), where
    *name* is the foreign key's own name, or for a row added when a partition
    was attached below a partitioned partition, that partition's row's name
    (``fr_id_fkey_2_1``).

  Both avoid every constraint name in the schema. Each row can be renamed on
  its own. :func:`referenced_rows` finds them and :func:`row_names` names them
  as a fresh build under the parent's new name, table and columns would, so
  the catalog matches a fresh build after the plan.

:func:`foreign_key_clones` returns only partition copies; a row for a
referenced partition lives on the foreign key's own table.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from seqcheck.naming import build, choose, join_names

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

    from seqcheck.catalog import Catalog, Constraint
    from seqcheck.naming import Encoding

__all__ = ["Clone", "foreign_key_clones", "referenced_rows", "row_names"]

#: The first major version that names referenced-partition rows ``<name>_N``.
UNDERSCORE_ROWS = 18
_NUMBERED = re.compile(r"_([0-9]+)\Z")


class Clone(NamedTuple):
    """A partition's copy of a foreign key, where it lives and what it is called."""

    oid: int
    schema: str
    table: str
    table_oid: int


def _foreign_keys(
    catalog: Catalog,
) -> tuple[dict[int, Constraint], dict[int, list[Constraint]]]:
    children: dict[int, list[Constraint]] = {}
    by_oid: dict[int, Constraint] = {}
    for con in catalog.constraints:
        if con.contype == "f":
            by_oid[con.oid] = con
            if con.parent_oid:
                children.setdefault(con.parent_oid, []).append(con)
    return by_oid, children


def foreign_key_clones(
    catalog: Catalog, parents: Collection[int]
) -> dict[int, tuple[Clone, ...]]:
    """Return the partition copies of each foreign key in *parents* that carry its name.

    Copies of copies count while they carry the name too. Rows for
    referenced partitions (on the parent's own table) are not copies.
    """
    wanted = set(parents)
    if not wanted:
        return {}
    by_oid, children = _foreign_keys(catalog)
    tables = {t.oid: t for t in catalog.tables}
    schemas = {s.oid: s.name for s in catalog.schemas}
    found: dict[int, tuple[Clone, ...]] = {}
    for oid in wanted:
        parent = by_oid.get(oid)
        if parent is None or oid not in children:
            continue
        copies: list[Clone] = []
        stack = [c for c in children[oid] if c.table_oid != parent.table_oid]
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


def referenced_rows(
    catalog: Catalog, parents: Collection[int]
) -> dict[int, tuple[Constraint, ...]]:
    """Return the rows for referenced partitions of each foreign key in *parents*.

    Every row below the foreign key on its own table, at any depth, in OID
    order (the order PostgreSQL created and named them).
    """
    wanted = set(parents)
    if not wanted:
        return {}
    by_oid, children = _foreign_keys(catalog)
    found: dict[int, tuple[Constraint, ...]] = {}
    for oid in wanted:
        parent = by_oid.get(oid)
        if parent is None:
            continue
        rows: list[Constraint] = []
        stack = [oid]
        while stack:
            for con in children.get(stack.pop(), ()):
                if con.table_oid == parent.table_oid:
                    rows.append(con)
                    stack.append(con.oid)
        if rows:
            found[oid] = tuple(sorted(rows, key=lambda c: c.oid))
    return found


def row_names(
    parent: Constraint,
    new_name: str,
    table: str,
    rows: tuple[Constraint, ...],
    *,
    major: int,
    enc: Encoding,
    taken: Callable[[str], bool],
) -> dict[int, str]:
    """Return the name a fresh build gives each of *parent*'s *rows*, by OID.

    :param new_name: the name *parent* gets.
    :param table: the name its table has today.
    :param rows: :func:`referenced_rows` of *parent*, in OID order.
    :param taken: whether a constraint name is taken in the schema (names
        freed by the run are free, names planned in it taken). The rows are
        named one after another, each avoiding those named before it.
    """
    names: dict[int, str] = {}
    chosen: set[str] = set()

    def used(name: str) -> bool:
        return name in chosen or taken(name)

    if major < UNDERSCORE_ROWS:
        middle = join_names(parent.column_names)
        for row in rows:
            names[row.oid] = choose(table, middle, "fkey", used, enc)
            chosen.add(names[row.oid])
        return names
    old = {parent.oid: parent.name} | {row.oid: row.name for row in rows}
    new: dict[int, str] = {parent.oid: new_name}
    up = {row.oid: row.parent_oid for row in rows}
    for row in rows:
        owner = _owner(row, old, up, enc) or parent.oid
        name = _numbered(new.get(owner, old[owner]), used, enc)
        names[row.oid] = new[row.oid] = name
        chosen.add(name)
    return names


def _owner(
    row: Constraint, old: Mapping[int, str], up: Mapping[int, int], enc: Encoding
) -> int | None:
    """Return the row or foreign key whose name *row*'s PostgreSQL 18 name extends.

    The nearest one above it whose old name, numbered, is *row*'s name.
    """
    match = _NUMBERED.search(row.name)
    if match is None:
        return None
    at = row.parent_oid
    while at in old:
        if build(old[at], None, match[1], enc) == row.name:
            return at
        at = up.get(at, 0)
    return None


def _numbered(name: str, taken: Callable[[str], bool], enc: Encoding) -> str:
    """Return ``<name>_N`` for the first N from 1 that is free (PostgreSQL 18)."""
    number = 1
    while taken(candidate := build(name, None, str(number), enc)):
        number += 1
    return candidate
