"""SC107 index-name: an index without a constraint is not ``<table>_<columns>_idx``.

*What it finds*: a plain (or ``CREATE UNIQUE INDEX``) index named for old
column names the index itself still stores, or for an earlier table name that
another name on the same table proves (NAMING.md §4.3). A lone index name in
the generated pattern proves nothing: hand-written names look like that.

*Why it matters*: index hints, monitoring queries and schema diffs use index
names.

*Example*: ``marathon_weight_idx`` on ``snickers (weight)``.

*Fix and lock*: ``ALTER INDEX … RENAME TO …``; ShareUpdateExclusiveLock on the
index only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.rules._common import index_subjects

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Table
    from seqcheck.rules import Subject

CODE = "SC107"
KIND = Kind.INDEX
LABEL = "idx"


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every valid index that backs no constraint."""
    return index_subjects(
        catalog,
        tables,
        constraint_type="",
        code=CODE,
        kind=KIND,
        label=LABEL,
        clean=clean,
    )
