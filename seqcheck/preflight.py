"""Pre-flight: may this session rename every object of a plan, here, now?

Stage: a helper of :mod:`seqcheck.apply` (an edge: it reads privileges and
``pg_is_in_recovery()``). Imports psycopg, the plan types and statements.

PostgreSQL's own checks, read back on 15.18 and 18.6: every rename needs
ownership of the object (for a constraint, of its table or domain), which
``pg_has_role(owner, 'USAGE')`` answers as the server does (superusers, and
members that inherit the owner's privileges); the statement needs USAGE on
the schema to find it; and ``ALTER INDEX``, ``ALTER SEQUENCE`` and ``ALTER
STATISTICS … RENAME`` also need CREATE on the schema (``permission denied for
schema``), which since PostgreSQL 15 an owner often lacks on ``public``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from psycopg.rows import namedtuple_row

from seqcheck.errors import SeqcheckError
from seqcheck.plan import StatementKind
from seqcheck.statements import rename_privileges, session_state

if TYPE_CHECKING:
    from collections.abc import Sequence

    import psycopg

    from seqcheck.plan import RenameStep

__all__ = ["Refusal", "check_preflight", "refusals"]

_SHOWN = 3
_NEEDS_CREATE = {StatementKind.ALTER_INDEX, StatementKind.ALTER_SEQUENCE}


class Refusal(NamedTuple):
    """An object this role may not rename, and why."""

    what: str
    schema: str
    name: str
    owner: str
    owned: bool
    usable: bool
    creatable: bool

    def reason(self) -> str:
        """Return why it may not be renamed, in a few words."""
        if not self.owned:
            return f"owned by {self.owner}"
        if not self.usable:
            return f"no USAGE on schema {self.schema}"
        return f"no CREATE on schema {self.schema}"


def refusals(
    conn: psycopg.Connection[Any], steps: Sequence[RenameStep]
) -> list[Refusal]:
    """Return the objects of *steps* this session may not rename."""
    relations: set[int] = set()
    creating: set[int] = set()
    constraints: set[int] = set()
    statistics: set[int] = set()
    for step in steps:
        match step.statement:
            case StatementKind.ALTER_STATISTICS:
                statistics.add(step.object_oid)
            case StatementKind.RENAME_CONSTRAINT | (
                StatementKind.RENAME_DOMAIN_CONSTRAINT
            ):
                constraints.add(step.object_oid)
            case _:
                relations.add(step.object_oid)
                if step.statement in _NEEDS_CREATE:
                    creating.add(step.object_oid)
    params = {
        "relations": sorted(relations),
        "creating": sorted(creating),
        "constraints": sorted(constraints),
        "statistics": sorted(statistics),
    }
    with conn.cursor(row_factory=namedtuple_row) as cur:
        rows = cur.execute(rename_privileges(), params).fetchall()
    return [Refusal(*row) for row in rows]


def check_preflight(conn: psycopg.Connection[Any], steps: Sequence[RenameStep]) -> None:
    """Raise if this server or role cannot run *steps*; change nothing.

    :raises SeqcheckError: the server is a read-only standby, or the role
        (``current_user``) may not rename some object (the first few are named).
    """
    row = conn.execute(session_state()).fetchone()
    standby, role = (bool(row[0]), str(row[1])) if row is not None else (False, "")
    if standby:
        raise SeqcheckError(
            "the server is a read-only standby (pg_is_in_recovery() is true)",
            "nothing was changed; run seqcheck fix --apply against the primary",
        )
    refused = refusals(conn, steps)
    if not refused:
        return
    shown = ", ".join(
        f"{r.what} {r.schema}.{r.name} ({r.reason()})" for r in refused[:_SHOWN]
    )
    if len(refused) > _SHOWN:
        shown += f" and {len(refused) - _SHOWN} more"
    count = len(refused)
    raise SeqcheckError(
        f"role {role} may not rename {count} object{'' if count == 1 else 's'}:"
        f" {shown}",
        "nothing was changed; run as the owner or a member of its role, and"
        " renaming indexes, sequences and statistics needs CREATE on the schema",
    )
