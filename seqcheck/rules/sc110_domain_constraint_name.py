"""SC110 domain-constraint-name: a domain constraint is not ``<domain>_check``.

*What it finds*: under ``--strict`` only, a domain check (or, from 17, NOT
NULL) constraint that ends in its label but is not ``<domain>_check`` /
``<domain>_not_null`` (NAMING.md §4.9). A renamed domain leaves nothing else
behind to prove the rename, so these are never certain.

*Why it matters*: domain constraint names appear in violation messages.

*Example*: ``weight_check`` on domain ``mass``.

*Fix and lock*: ``ALTER DOMAIN … RENAME CONSTRAINT …``; no relation lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.rules import Subject

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Table

CODE = "SC110"
KIND = Kind.DOMAIN
LABEL = "check"


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every domain constraint (*clean* or not: few)."""
    del tables, clean
    for con in catalog.constraints:
        if con.domain_oid == 0 or con.table_oid != 0:
            continue
        label = "not_null" if con.contype == "n" else LABEL
        yield Subject(
            CODE,
            KIND,
            label,
            con.oid,
            con.schema_oid,
            con.name,
            con.domain_name,
            None,
            None,
            guarded=True,
            witness=False,
        )
