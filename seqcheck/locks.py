"""Locks: which sessions hold the lock a rename waits for.

Stage: a helper of :mod:`seqcheck.apply` (an edge: it reads ``pg_locks`` and
``pg_stat_activity``). Imports psycopg, the plan types and statements.

After a rename gave up waiting (``lock_timeout``), the transaction is rolled
back and ``pg_blocking_pids()`` of this session is empty again; the sessions
to name are those whose locks on the same relation or object conflict with the
mode the rename takes: held ones first, then those queued ahead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import class_row

from seqcheck.plan import StatementKind
from seqcheck.statements import lock_holders

if TYPE_CHECKING:
    from seqcheck.plan import RenameStep

__all__ = ["Blocker", "blockers", "describe"]

log = logging.getLogger(__name__)

_ALL_MODES = frozenset(
    {
        "AccessShareLock",
        "RowShareLock",
        "RowExclusiveLock",
        "ShareUpdateExclusiveLock",
        "ShareLock",
        "ShareRowExclusiveLock",
        "ExclusiveLock",
        "AccessExclusiveLock",
    }
)
# The lock modes that conflict with the two modes a rename takes.
_CONFLICTS: dict[str, frozenset[str]] = {
    "AccessExclusiveLock": _ALL_MODES,
    "ShareUpdateExclusiveLock": _ALL_MODES
    - {"AccessShareLock", "RowShareLock", "RowExclusiveLock"},
}


@dataclass(frozen=True, slots=True)
class _Lock:
    """The lock a statement waits for: its mode, and on a relation or an object."""

    mode: str
    on_relation: bool
    on_table: bool  # the step's table (or domain), not the renamed object


# Read from pg_locks (NAMING.md §5.2); a recursing constraint rename also locks
# inheritors, which are not named here.
_LOCKS: dict[StatementKind, _Lock] = {
    StatementKind.ALTER_INDEX: _Lock("ShareUpdateExclusiveLock", True, False),
    StatementKind.ALTER_SEQUENCE: _Lock("AccessExclusiveLock", True, False),
    StatementKind.RENAME_CONSTRAINT: _Lock("AccessExclusiveLock", True, True),
    StatementKind.ALTER_STATISTICS: _Lock("AccessExclusiveLock", False, False),
    StatementKind.RENAME_DOMAIN_CONSTRAINT: _Lock("AccessExclusiveLock", False, True),
    StatementKind.RENAME_INDEX_COLUMN: _Lock("AccessExclusiveLock", True, False),
}


@dataclass(frozen=True, slots=True)
class Blocker:
    """A session holding (or queued for) a lock that a rename waits for."""

    pid: int
    mode: str
    granted: bool
    application_name: str
    usename: str
    state: str
    xact_start: datetime | None
    query_start: datetime | None


def blockers(conn: psycopg.Connection[Any], step: RenameStep) -> list[Blocker]:
    """Return the sessions whose locks conflict with *step*'s (held ones first)."""
    lock = _LOCKS[step.statement]
    oid = step.finding.table_oid if lock.on_table else step.object_oid
    params = {
        "relations": [oid] if lock.on_relation else [],
        "objects": [] if lock.on_relation else [oid],
    }
    try:
        with conn.cursor(row_factory=class_row(Blocker)) as cur:
            rows = cur.execute(lock_holders(), params).fetchall()
    except psycopg.Error as exc:
        log.debug("could not read pg_locks: %s", exc)
        return []
    conflicting = [r for r in rows if r.mode in _CONFLICTS[lock.mode]]
    seen: set[int] = set()
    found: list[Blocker] = []
    for row in conflicting or rows:
        if row.pid not in seen:
            seen.add(row.pid)
            found.append(row)
    return found


def describe(holder: Blocker) -> str:
    """Return *holder* in one line: pid, application, state, since when, lock."""
    parts = [f"pid {holder.pid}"]
    if holder.application_name:
        parts.append(f"application_name {holder.application_name!r}")
    if holder.usename:
        parts.append(f"user {holder.usename}")
    if holder.state:
        parts.append(holder.state)
    if holder.xact_start is not None:
        parts.append(f"transaction since {_when(holder.xact_start)}")
    if holder.query_start is not None:
        parts.append(f"query started {_when(holder.query_start)}")
    verb = "holding" if holder.granted else "waiting for"
    parts.append(f"{verb} {holder.mode}")
    return f"{parts[0]} ({', '.join(parts[1:])})"


def _when(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")
