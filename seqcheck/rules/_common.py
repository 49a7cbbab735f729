"""Helpers shared by the rule modules: which catalog objects are judged at all.

Stage: rules. Pure.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from seqcheck.clones import UNDERSCORE_ROWS, own_named_copy, referenced_rows
from seqcheck.naming import is_whole
from seqcheck.rules import Part, Subject

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from seqcheck.catalog import Catalog, Constraint, Table
    from seqcheck.findings import Kind

__all__ = ["constraint_subjects", "index_subjects", "is_leftover", "row_subjects"]

_LEFTOVER = re.compile(r"_cc(new|old)[0-9]*$")


def is_leftover(name: str) -> bool:
    """Tell whether *name* is a ``REINDEX CONCURRENTLY`` leftover (``_ccnew``…)."""
    return _LEFTOVER.search(name) is not None


def index_subjects(
    catalog: Catalog,
    tables: dict[int, Table],
    *,
    constraint_type: str,
    code: str,
    kind: Kind,
    label: str,
    clean: bool = True,
) -> Iterator[Subject]:
    """Yield the valid indexes backing *constraint_type* (``""``: plain indexes).

    *clean*: as :class:`~seqcheck.rules.Finder` says.
    """
    plain = constraint_type == ""
    pkey = label == "pkey"
    names: dict[int, dict[int, str]] = {}
    for index in catalog.indexes:
        if index.constraint_type != constraint_type or index.from_extension:
            continue
        table = tables.get(index.table_oid)
        if table is None or not index.valid or is_leftover(index.name):
            continue
        columns = names.get(table.oid)
        if columns is None:
            columns = names[table.oid] = dict(
                zip(table.attnums, table.columns, strict=True)
            )
        stored_names = index.stored_names
        items = [
            columns.get(attnum, stored) if attnum else stored
            for attnum, stored in zip(index.table_attnums, stored_names, strict=True)
        ]
        # Index column names that repeat are made unique: left to the judge.
        if (
            not clean
            and (pkey or len(set(items)) == len(items))
            and _whole(index.name, table.name, None if pkey else items, label)
        ):
            continue
        parts = tuple(map(Part, index.table_attnums, items, stored_names))
        yield Subject(
            code,
            kind,
            label,
            index.oid,
            index.schema_oid,
            index.name,
            table.name,
            table,
            None if pkey else parts,
            dedup=True,
            guarded=plain,
            witness=not plain,
            key_columns=tuple([p.name for p in parts[: index.key_count]]),
        )


def _whole(name: str, owner: str, names: Sequence[str] | None, label: str) -> bool:
    """Tell whether *name* is today's default of *owner*, item *names*, *label*.

    Uncut, the items in stored order, as :func:`~seqcheck.evidence.judge`
    first tries it (*names* ``None``: no middle part).
    """
    return is_whole(name, owner, None if names is None else "_".join(names), label)


def _column_parts(con: Constraint) -> tuple[Part, ...]:
    """Return a constraint's columns, in the order written, as its middle part."""
    return tuple(map(Part, con.attnums, con.column_names))


def constraint_subjects(
    catalog: Catalog,
    tables: dict[int, Table],
    *,
    contype: str,
    code: str,
    kind: Kind,
    label: str,
    parts: Callable[[Constraint], tuple[Part, ...] | None] = _column_parts,
    clean: bool = True,
) -> Iterator[Subject]:
    """Yield the table constraints of *contype* that are judged on their own table.

    Inherited copies follow their parent, and partition clones of a foreign key
    (``conparentid <> 0``) follow theirs: both are skipped, but for a clone
    with a name of its own (:func:`~seqcheck.clones.own_named_copy`). A constraint whose
    *parts* are ``None`` (no column part in its name) is guarded and vouches for
    no table rename; a foreign key also carries the table and columns it refers to.
    """
    names = {t.oid: t.name for t in catalog.tables} if contype == "f" else {}
    keys = {c.oid: c for c in catalog.constraints if c.contype == "f"}
    for con in catalog.constraints:
        if con.contype != contype or con.table_oid == 0:
            continue
        if (con.inherit_count > 0 or con.parent_oid != 0) and not own_named_copy(
            con, keys
        ):
            continue
        table = tables.get(con.table_oid)
        if table is None:
            continue
        middle = parts(con)
        if not clean and _whole(
            con.name,
            table.name,
            None if middle is None else [p.name for p in middle],
            label,
        ):
            continue
        yield Subject(
            code,
            kind,
            label,
            con.oid,
            con.schema_oid,
            con.name,
            table.name,
            table,
            middle,
            guarded=middle is None,
            witness=middle is not None,
            referred=names.get(con.references_oid, ""),
            referred_columns=con.ref_column_names or (),
        )


def row_subjects(
    catalog: Catalog, tables: dict[int, Table], *, code: str, kind: Kind, label: str
) -> Iterator[Subject]:
    """Yield the rows for referenced partitions that are named like their table.

    On PostgreSQL 12–17 each is named as its own foreign key would be by
    default (``fr_id_fkey1``, NAMING.md §4.6), whatever its key is called, so
    a table rename leaves it stale even under a hand-named key; on 18 it is
    named from its key (``<key>_1``) and follows it. Never a witness.
    """
    if catalog.server.major >= UNDERSCORE_ROWS:
        return
    keys = [
        con.oid
        for con in catalog.constraints
        if con.contype == "f" and con.parent_oid == 0 and con.table_oid in tables
    ]
    for key, rows in referenced_rows(catalog, keys).items():
        for row in rows:
            table = tables[row.table_oid]
            yield Subject(
                code,
                kind,
                label,
                row.oid,
                row.schema_oid,
                row.name,
                table.name,
                table,
                _column_parts(row),
                witness=False,
                key_oid=key,
            )
