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
  its own. :func:`referenced_rows` finds them and :func:`row_rule` names each
  as a fresh build under the parent's new name, table and columns would; the
  drift stage's :class:`~seqcheck.targets.Namer` names them in OID order with
  everything else it names, so a second key on the same columns steps over
  the first key's rows as it does in a fresh build.

:func:`foreign_key_clones` returns only partition copies; a row for a
referenced partition lives on the foreign key's own table.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from seqcheck.naming import NameRule, build

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from seqcheck.catalog import Catalog, Constraint
    from seqcheck.naming import Encoding

__all__ = [
    "Clone",
    "RowTarget",
    "foreign_key_clones",
    "own_named_copy",
    "referenced_rows",
    "row_rule",
]

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


def own_named_copy(con: Constraint, by_oid: Mapping[int, Constraint]) -> bool:
    """Tell whether *con* is a foreign key's partition copy with a name of its own.

    A partition's own key attached to its parent's identical one (merged, not
    cloned) keeps the name made from the partition, as does a copy whose name
    was taken on the partition (15–17, D06a): neither follows the parent's
    renames, so each is judged, and holds its name, on its own table. Rows
    for referenced partitions (on the parent's own table) are not copies.
    """
    if con.contype != "f" or not con.parent_oid:
        return False
    parent = by_oid.get(con.parent_oid)
    return (
        parent is not None
        and parent.table_oid != con.table_oid
        and parent.name != con.name
    )


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


class RowTarget(NamedTuple):
    """A row for a referenced partition: its key, its name, a fresh build's name."""

    key_oid: int
    oid: int
    name: str
    new: str


def row_rule(
    row: Constraint,
    key_oid: int,
    *,
    table: str,
    middle: str | None,
    old: Mapping[int, str],
    up: Mapping[int, int],
    new: Mapping[int, str],
    major: int,
    enc: Encoding,
) -> NameRule:
    """Return how a fresh build names *row*, a row of foreign key *key_oid*.

    :param table: the key's table's name today; *middle*: its columns' part.
    :param old: today's names of keys and rows, by OID; *up*: each row's
        parent (its key or the row above it), by OID.
    :param new: the names chosen so far for keys and rows (the key's and
        every row above *row* among them), by OID.
    """
    if major < UNDERSCORE_ROWS:
        return NameRule(table, middle, "fkey", 0)
    owner = _owner(row, old, up, enc) or key_oid
    return NameRule(new.get(owner, old[owner]), None, "", 1)


def _owner(
    row: Constraint, old: Mapping[int, str], up: Mapping[int, int], enc: Encoding
) -> int | None:
    """Return the row or foreign key whose name *row*'s PostgreSQL 18 name extends.

    A row is named from its foreign key, or, when its partition was attached
    below a partitioned partition later, from that partition's row. The
    topmost one above it whose old name, numbered, is *row*'s name: when a
    long name is cut, both forms can be the same string, and a partition that
    existed when the key was made is the common case.
    """
    match = _NUMBERED.search(row.name)
    if match is None:
        return None
    found = None
    at = row.parent_oid
    while at in old:
        if build(old[at], None, match[1], enc) == row.name:
            found = at
        at = up.get(at, 0)
    return found
