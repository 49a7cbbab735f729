"""SC106 check-name: a check constraint is not ``<table>_<column>_check``.

*What it finds*: a check constraint named for an earlier table name or for the
old name of the one column it uses (NAMING.md §4.7). A check on no or several
columns (``<table>_check``) counts only when another name on the table proves
the same rename; a check that a table of the old name still has was copied by
``LIKE`` or inheritance and is not drift. Inherited copies follow their parent.

*Why it matters*: violation messages name the constraint, and diffs show noise.

*Example*: ``marathon_weight_check`` on ``snickers (weight)``.

*Fix and lock*: ``ALTER TABLE … RENAME CONSTRAINT …`` at the root of
inheritance (it recurses to children); AccessExclusiveLock on each table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.rules import Part, Subject
from seqcheck.rules._common import constraint_subjects

if TYPE_CHECKING:
    from collections.abc import Iterator

    from seqcheck.catalog import Catalog, Constraint, Table

CODE = "SC106"
KIND = Kind.CHECK
LABEL = "check"


def _parts(con: Constraint) -> tuple[Part, ...] | None:
    """Return the one column a check uses, or ``None`` for no or several columns."""
    if len(con.attnums) != 1 or con.attnums[0] == 0:
        return None
    return (Part(max(con.attnums[0], 0), con.column_names[0]),)


def subjects(
    catalog: Catalog, tables: dict[int, Table], *, clean: bool = True
) -> Iterator[Subject]:
    """Yield every local check constraint of a judged table."""
    return constraint_subjects(
        catalog,
        tables,
        contype="c",
        code=CODE,
        kind=KIND,
        label=LABEL,
        parts=_parts,
        clean=clean,
    )
