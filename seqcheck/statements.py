"""Statements: the only module that builds SQL, from plan steps, with psycopg.sql.

Stage: render and apply both use it, so ``--format sql`` prints exactly what
``--apply`` runs. Imports psycopg's ``sql`` module and the plan types; never
a connection (``as_string(None)`` needs none since psycopg 3.2).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from psycopg import sql

from seqcheck.plan import Phase, StatementKind

if TYPE_CHECKING:
    from seqcheck.plan import Plan, RenameStep

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "as_text",
    "begin",
    "comment",
    "script",
    "set_lock_timeout",
    "statement",
]

DEFAULT_LOCK_TIMEOUT = "2s"

# Characters that end a ``--`` comment line (CR, LF) or disturb a terminal.
# A backslash is harmless there: psql reads a comment to its end.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def statement(step: RenameStep) -> sql.Composed:
    """Return the statement that performs *step*, identifiers quoted."""
    schema = step.schema
    old, new = sql.Identifier(step.old), sql.Identifier(step.new)
    match step.statement:
        case StatementKind.ALTER_INDEX:
            query = sql.SQL("ALTER INDEX {} RENAME TO {}")
            return query.format(sql.Identifier(schema, step.old), new)
        case StatementKind.ALTER_SEQUENCE:
            query = sql.SQL("ALTER SEQUENCE {} RENAME TO {}")
            return query.format(sql.Identifier(schema, step.old), new)
        case StatementKind.ALTER_STATISTICS:
            query = sql.SQL("ALTER STATISTICS {} RENAME TO {}")
            return query.format(sql.Identifier(schema, step.old), new)
        case StatementKind.RENAME_CONSTRAINT:
            query = sql.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}")
            return query.format(sql.Identifier(schema, step.table), old, new)
        case StatementKind.RENAME_DOMAIN_CONSTRAINT:
            query = sql.SQL("ALTER DOMAIN {} RENAME CONSTRAINT {} TO {}")
            return query.format(sql.Identifier(schema, step.table), old, new)
        case StatementKind.RENAME_INDEX_COLUMN:
            query = sql.SQL("ALTER TABLE {} RENAME COLUMN {} TO {}")
            return query.format(sql.Identifier(schema, step.index), old, new)
    raise ValueError(f"no statement for {step.statement!r}")  # pragma: no cover


def begin() -> sql.SQL:
    """Return ``BEGIN``."""
    return sql.SQL("BEGIN")


def set_lock_timeout(lock_timeout: str = DEFAULT_LOCK_TIMEOUT) -> sql.Composed:
    """Return ``SET LOCAL lock_timeout = '<lock_timeout>'``."""
    return sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout))


def as_text(query: sql.Composable) -> str:
    """Return *query* as text, without a connection (UTF-8)."""
    return query.as_string(None)


def comment(text: str) -> str:
    """Return *text* as one ``--`` comment line: newlines and controls escaped."""
    return "-- " + _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def script(plan: Plan, lock_timeout: str = DEFAULT_LOCK_TIMEOUT) -> str:
    """Return *plan* as one transaction for ``psql -1 -f`` or ``psql -f``.

    The text is UTF-8 and says so to the server. Each statement follows a
    comment with its finding's message; a detour via a temporary name says so.
    """
    if not plan.steps:
        return "-- seqcheck: nothing to rename\n"
    count = len(plan.steps)
    lines = [
        f"-- seqcheck: {count} rename{'s' if count != 1 else ''} in one transaction",
        _line(sql.SQL("SET client_encoding = {}").format(sql.Literal("UTF8"))),
        _line(begin()),
        _line(set_lock_timeout(lock_timeout)),
    ]
    for step in plan.steps:
        note = step.finding.message
        if step.phase is not Phase.RENAME:
            note += f" [{step.phase}]"
        lines += ["", comment(note), _line(statement(step))]
    lines += ["", _line(sql.SQL("COMMIT"))]
    return "\n".join(lines) + "\n"


def _line(query: sql.Composable) -> str:
    return as_text(sql.Composed([query, sql.SQL(";")]))
