"""Hand-built records for pure tests: findings, a catalog, a drift and a report.

Real frozen records, never mocks: the plan, statements and renderers only read
fields, and these helpers fill in the fields they read.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from seqcheck.catalog import Catalog, Index, Schema, ServerInfo, TakenName
from seqcheck.drift import Drift
from seqcheck.findings import Finding, Kind, Reason, Tier
from seqcheck.targets import spaces

__all__ = ["SERVER", "catalog_for", "drift_of", "finding", "index_column"]

SERVER = ServerInfo(150018, "15.18 (Debian 15.18-1.pgdg120+1)", "UTF8", "app", "me")
_CODES = {
    Kind.SEQUENCE: "SC101",
    Kind.PKEY: "SC102",
    Kind.UNIQUE: "SC103",
    Kind.EXCLUSION: "SC104",
    Kind.FKEY: "SC105",
    Kind.CHECK: "SC106",
    Kind.INDEX: "SC107",
    Kind.NOT_NULL: "SC108",
    Kind.STATISTICS: "SC109",
    Kind.DOMAIN: "SC110",
    Kind.INDEX_COLUMN: "SC111",
}
_oids = itertools.count(100_000)


def finding(
    kind: Kind,
    name: str,
    expected: str,
    *,
    table: str = "t",
    schema: str = "public",
    tier: Tier = Tier.CERTAIN,
    reason: Reason = Reason.TABLE_RENAMED,
    stale: str = "old",
    oid: int | None = None,
) -> Finding:
    """Return a finding for object *name* of *kind* that should be *expected*."""
    return Finding(
        schema=schema,
        table=table,
        kind=kind,
        name=name,
        code=_CODES[kind],
        tier=tier,
        reason=reason,
        expected=expected,
        stale=stale,
        object_oid=next(_oids) if oid is None else oid,
        table_oid=1,
        object_name=name,
    )


def index_column(
    index: Finding | str,
    column: str,
    new: str,
    *,
    table: str = "t",
    schema: str = "public",
    oid: int | None = None,
) -> Finding:
    """Return an ``index-column`` finding on *index* (a finding or a name)."""
    name = index if isinstance(index, str) else index.name
    index_oid = index.object_oid if isinstance(index, Finding) else oid
    return Finding(
        schema=schema,
        table=table,
        kind=Kind.INDEX_COLUMN,
        name=f"{name}.{column}",
        code="SC111",
        tier=Tier.INDEX_COLUMN,
        reason=Reason.STALE_INDEX_COLUMN,
        expected=f"{name}.{new}",
        stale=column,
        object_oid=next(_oids) if index_oid is None else index_oid,
        table_oid=1,
        object_name=name,
        column=column,
        new_column=new,
    )


def catalog_for(
    findings: Iterable[Finding],
    *,
    taken: Iterable[tuple[str, str, str]] = (),
    columns: dict[int, tuple[str, ...]] | None = None,
) -> Catalog:
    """Return a catalog holding every finding's current name, plus *taken*.

    :param taken: more ``(schema, space, name)`` names in use.
    :param columns: stored column names per index oid.
    """
    found = list(findings)
    schema_names = sorted({f.schema for f in found} | {s for s, _, _ in taken})
    oids = {name: 2200 + n for n, name in enumerate(schema_names)}
    grouped: dict[tuple[int, str], list[str]] = {}
    in_use = [
        (f.schema, space, f.name)
        for f in found
        if f.kind is not Kind.INDEX_COLUMN
        for space in spaces(f.kind)
    ]
    for schema, space, name in [*in_use, *taken]:
        grouped.setdefault((oids[schema], space), []).append(name)
    names = [TakenName(oid, space, tuple(n)) for (oid, space), n in grouped.items()]
    indexes = tuple(
        Index(
            oid=oid,
            schema_oid=oids[schema_names[0]] if schema_names else 2200,
            name=f"index{oid}",
            relkind="i",
            table_oid=1,
            valid=True,
            key_count=len(stored),
            constraint_type="",
            constraint_oid=0,
            parent_oid=0,
            table_attnums=tuple(range(1, len(stored) + 1)),
            stored_names=stored,
            from_extension=False,
        )
        for oid, stored in (columns or {}).items()
    )
    return Catalog(
        server=SERVER,
        schemas=tuple(Schema(oid, name, True) for name, oid in oids.items()),
        tables=(),
        sequences=(),
        indexes=indexes,
        constraints=(),
        statistics=(),
        names=tuple(names),
    )


def drift_of(
    findings: Iterable[Finding],
    *,
    tables_checked: int = 3,
    renamed_from: dict[tuple[str, str], tuple[str, ...]] | None = None,
) -> Drift:
    """Return a drift holding *findings*, sorted as :func:`find_drift` sorts."""
    return Drift(
        findings=tuple(sorted(findings)),
        tables_checked=tables_checked,
        renamed_from=renamed_from or {},
    )
