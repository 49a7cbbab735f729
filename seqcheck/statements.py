"""Statements: the only module that builds SQL, from plan steps, with psycopg.sql.

Stage: render and apply both use it, so ``--format sql`` prints exactly what
``--apply`` runs. Imports psycopg's ``sql`` module and the plan types; never
a connection (``as_string(None)`` needs none since psycopg 3.2).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from psycopg import sql

from seqcheck.defaults import DEFAULT_LOCK_TIMEOUT
from seqcheck.findings import Kind
from seqcheck.plan import Phase, Plan, StatementKind, undo_steps

if TYPE_CHECKING:
    from collections.abc import Sequence

    from psycopg.abc import AdaptContext

    from seqcheck.plan import RenameStep

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "as_text",
    "assembled",
    "begin",
    "comment",
    "lock_holders",
    "lock_settings",
    "object_names",
    "quoted_names",
    "rename_privileges",
    "script",
    "session_state",
    "set_lock_timeout",
    "set_statement_timeout",
    "statement",
    "statement_bytes",
    "statement_texts",
    "step_names",
    "step_note",
    "timeout_text",
    "undo_script",
]


# Characters that end a ``--`` comment line (CR, LF) or disturb a terminal.
# A backslash is harmless there: psql reads a comment to its end.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


_HEADS = {
    StatementKind.ALTER_INDEX: ("ALTER INDEX ", " RENAME TO "),
    StatementKind.ALTER_SEQUENCE: ("ALTER SEQUENCE ", " RENAME TO "),
    StatementKind.ALTER_STATISTICS: ("ALTER STATISTICS ", " RENAME TO "),
    StatementKind.RENAME_CONSTRAINT: ("ALTER TABLE ", " RENAME CONSTRAINT "),
    StatementKind.RENAME_DOMAIN_CONSTRAINT: ("ALTER DOMAIN ", " RENAME CONSTRAINT "),
    StatementKind.RENAME_INDEX_COLUMN: ("ALTER TABLE ", " RENAME COLUMN "),
}
_TO = sql.SQL(" TO ")


def _named(step: RenameStep) -> tuple[str, str | None]:
    """Return what *step*'s statement qualifies with the schema, and the old
    name it renames after the verb (``None``: the qualified name is the old one).
    """
    match step.statement:
        case (
            StatementKind.ALTER_INDEX
            | StatementKind.ALTER_SEQUENCE
            | StatementKind.ALTER_STATISTICS
        ):
            return step.old, None
        case StatementKind.RENAME_CONSTRAINT | StatementKind.RENAME_DOMAIN_CONSTRAINT:
            return step.table, step.old
        case StatementKind.RENAME_INDEX_COLUMN:
            return step.index, step.old


def statement(step: RenameStep) -> sql.Composed:
    """Return the statement that performs *step*, identifiers quoted.

    Built as a :class:`~psycopg.sql.Composed` directly (no template parsing).
    """
    head, verb = _HEADS[step.statement]
    owner, old = _named(step)
    parts = [sql.SQL(head), sql.Identifier(step.schema, owner), sql.SQL(verb)]
    if old is not None:
        parts += [sql.Identifier(old), _TO]
    parts.append(sql.Identifier(step.new))
    return sql.Composed(parts)


_BYTE_HEADS = {k: (h.encode(), v.encode()) for k, (h, v) in _HEADS.items()}
# One identifier as Identifier.as_bytes() quotes it: quotes inside doubled.
_QUOTED = re.compile(rb'"[^"]*(?:""[^"]*)*"')


def statement_bytes(
    steps: Sequence[RenameStep], context: AdaptContext | None = None
) -> list[bytes]:
    """Return the statement of each of *steps*, encoded for *context*.

    The text of :func:`statement` (byte for byte on a UTF-8 connection),
    built without a :class:`~psycopg.sql.Composed` per step, for plans of
    tens of thousands of steps: :func:`assembled` from :func:`step_names`.
    """
    return assembled(steps, step_names(steps, context))


def step_names(
    steps: Sequence[RenameStep], context: AdaptContext | None = None
) -> dict[str, bytes]:
    """Return every identifier *steps* name, quoted (:func:`quoted_names`)."""
    named = [_named(step) for step in steps]
    names = {s.schema for s in steps} | {s.new for s in steps}
    names |= {owner for owner, _ in named}
    names |= {old for _, old in named if old is not None}
    return quoted_names(list(names), context)


def assembled(steps: Sequence[RenameStep], quoted: dict[str, bytes]) -> list[bytes]:
    """Return each of *steps*' statements from its identifiers as *quoted*.

    Pure: the keywords are fixed ASCII text, and every identifier comes from
    *quoted* (:func:`step_names`); a qualified name joins its quoted parts
    with ``.``, as ``Identifier(schema, name)`` does.
    """
    done: list[bytes] = []
    for step in steps:
        owner, old = _named(step)
        head, verb = _BYTE_HEADS[step.statement]
        parts = [head, quoted[step.schema], b".", quoted[owner], verb]
        if old is not None:
            parts += [quoted[old], b" TO "]
        parts.append(quoted[step.new])
        done.append(b"".join(parts))
    return done


def statement_texts(steps: Sequence[RenameStep]) -> list[str]:
    """Return the text of each of *steps*' statements, as :func:`as_text` gives it."""
    return [raw.decode() for raw in statement_bytes(steps)]


def quoted_names(
    names: Sequence[str], context: AdaptContext | None = None
) -> dict[str, bytes]:
    """Return each of *names* quoted by :class:`psycopg.sql.Identifier`.

    All at once: ``Identifier(*names).as_bytes(context)`` (libpq's escaping
    and the connection's encoding when *context* has a connection) joins
    the quoted names with ``.``; each is cut out again, a quoted name being
    ``"…"`` with every quote inside doubled. Should the cut pieces not add up
    to the whole, each name is quoted by an ``Identifier`` of its own.
    """
    if not names:
        return {}
    joined = sql.Identifier(*names).as_bytes(context)
    pieces: list[bytes] = _QUOTED.findall(joined)
    if (
        len(pieces) != len(names)
        or sum(map(len, pieces)) + len(names) - 1 != len(joined)
        or b".".join(pieces) != joined
    ):  # pragma: no cover - every encoding psycopg supports cuts cleanly
        pieces = [sql.Identifier(name).as_bytes(context) for name in names]
    return dict(zip(names, pieces, strict=True))


def begin() -> sql.SQL:
    """Return ``BEGIN``."""
    return sql.SQL("BEGIN")


def begin_read_write() -> sql.SQL:
    """Return ``BEGIN`` of a read-write, read-committed transaction."""
    return sql.SQL("BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE")


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


def script(
    plan: Plan,
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
    batches: Sequence[Sequence[RenameStep]] | None = None,
) -> str:
    """Return *plan* as a script of one transaction per batch.

    The text is UTF-8 and says so to the server. Each statement follows a
    comment with its finding's message; a detour via a temporary name says so.
    One batch (the default: every step, in plan order) runs under ``psql -1
    -f``; several commit one by one under ``psql -v ON_ERROR_STOP=1 -f``, and
    the header says so.

    :param batches: the steps of each transaction, in order, as
        :func:`seqcheck.batches.split_plan` cuts them.
    """
    if not plan.steps:
        return "-- seqcheck: nothing to rename\n"
    groups = [plan.steps] if batches is None else [b for b in batches if b]
    count = sum(len(b) for b in groups)
    renames = f"{count} rename{'s' if count != 1 else ''}"
    if len(groups) == 1:
        head = f"-- seqcheck: {renames} in one transaction; run with psql -1 -f FILE"
    else:
        head = (
            f"-- seqcheck: {renames} in {len(groups)} transactions (the server's"
            " lock table does not hold them in one); run with"
            " psql -v ON_ERROR_STOP=1 -f FILE, not -1; if it stops, run"
            " seqcheck fix again: it plans only what is left"
        )
    lines = [
        head,
        _line(sql.SQL("SET client_encoding = {}").format(sql.Literal("UTF8"))),
    ]
    for number, steps in enumerate(groups, 1):
        if len(groups) > 1:
            size = f"{len(steps)} rename{'s' if len(steps) != 1 else ''}"
            lines += ["", f"-- batch {number} of {len(groups)}: {size}"]
        lines += [_line(begin()), _line(set_lock_timeout(lock_timeout))]
        for step, text in zip(steps, statement_texts(steps), strict=True):
            lines += ["", comment(step_note(step)), text + ";"]
        lines += ["", _line(sql.SQL("COMMIT"))]
    return "\n".join(lines) + "\n"


def step_note(step: RenameStep) -> str:
    """Return the comment above *step*'s statement: what it fixes, or undoes."""
    finding = step.finding
    note = finding.message
    if step.undo and finding.kind is Kind.INDEX_COLUMN:
        note = (
            f"undo: index {finding.object_name} column {finding.new_column!r}"
            f" back to {finding.column!r}"
        )
    elif step.undo:
        note = f"undo: {finding.kind} {finding.expected!r} back to {finding.name!r}"
    if step.phase is not Phase.RENAME:
        note += f" [{step.phase}]"
    return note


def undo_script(
    batches: Sequence[Sequence[RenameStep]], lock_timeout: str = DEFAULT_LOCK_TIMEOUT
) -> str:
    """Return the script that undoes the forward script of *batches*.

    *batches* are the forward transactions, as :func:`script` writes them;
    the undo runs them last first, each step renaming back
    (:func:`seqcheck.plan.undo_steps`), temporary names included.
    """
    undo = undo_steps(batches)
    steps = tuple(step for batch in undo for step in batch)
    if not steps:
        return "-- seqcheck: nothing to rename, nothing to undo\n"
    head = comment(
        "seqcheck fix --reverse: undoes the renames of seqcheck fix --format sql"
        " (same plan), last first; run it only after that script"
    )
    return head + "\n" + script(Plan(steps), lock_timeout, undo)


def _line(query: sql.Composable) -> str:
    return as_text(sql.Composed([query, sql.SQL(";")]))


# -- apply: session settings and the lock-holder query (used by seqcheck.apply) --


def timeout_text(milliseconds: int) -> str:
    """Return *milliseconds* as a setting value: ``2s`` when whole, else ``1500ms``."""
    if milliseconds % 1000 == 0:
        return f"{milliseconds // 1000}s"
    return f"{milliseconds}ms"


def set_statement_timeout(milliseconds: int) -> sql.Composed:
    """Return ``SET LOCAL statement_timeout = '<milliseconds>'``."""
    return sql.SQL("SET LOCAL statement_timeout = {}").format(
        sql.Literal(timeout_text(milliseconds))
    )


def lock_settings() -> sql.SQL:
    """Return the query for the settings that size the shared lock table.

    One row: ``max_locks_per_transaction, max_connections,
    max_prepared_transactions``.
    """
    return sql.SQL(
        "SELECT pg_catalog.current_setting('max_locks_per_transaction')::int,"
        " pg_catalog.current_setting('max_connections')::int,"
        " pg_catalog.current_setting('max_prepared_transactions')::int"
    )


def session_state() -> sql.SQL:
    """Return the query for ``pg_is_in_recovery()`` (a standby) and ``current_user``."""
    return sql.SQL("SELECT pg_catalog.pg_is_in_recovery(), current_user::text")


def rename_privileges() -> sql.SQL:
    """Return the query for objects this role may not rename, first by schema.

    Parameters, lists of OIDs: ``relations`` (indexes and sequences),
    ``creating`` (those of them renamed with ``ALTER INDEX`` or ``ALTER
    SEQUENCE``, which need CREATE on the schema), ``constraints`` (of tables
    and domains) and ``statistics``. One row per refused object: ``what,
    schema, name, owner, owned, usable, creatable``.
    """
    return sql.SQL(
        "SELECT o.what, o.schema, o.name, o.owner, o.owned, o.usable, o.creatable"
        " FROM ("
        " SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'index' END AS what,"
        " n.nspname::text AS schema, c.relname::text AS name,"
        " pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,"
        " pg_catalog.pg_has_role(c.relowner, 'USAGE') AS owned,"
        " pg_catalog.has_schema_privilege(n.oid, 'USAGE') AS usable,"
        " (c.oid::int8 <> ALL (%(creating)b::int8[])"
        " OR pg_catalog.has_schema_privilege(n.oid, 'CREATE')) AS creatable"
        " FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.oid::int8 = ANY (%(relations)b::int8[])"
        " UNION ALL"
        " SELECT 'constraint', n.nspname::text, k.conname::text,"
        " pg_catalog.pg_get_userbyid(coalesce(r.relowner, t.typowner))::text,"
        " pg_catalog.pg_has_role(coalesce(r.relowner, t.typowner), 'USAGE'),"
        " pg_catalog.has_schema_privilege(n.oid, 'USAGE'), true"
        " FROM pg_catalog.pg_constraint k"
        " JOIN pg_catalog.pg_namespace n ON n.oid = k.connamespace"
        " LEFT JOIN pg_catalog.pg_class r ON r.oid = k.conrelid"
        " LEFT JOIN pg_catalog.pg_type t ON t.oid = k.contypid"
        " WHERE k.oid::int8 = ANY (%(constraints)b::int8[])"
        " UNION ALL"
        " SELECT 'statistics', n.nspname::text, s.stxname::text,"
        " pg_catalog.pg_get_userbyid(s.stxowner)::text,"
        " pg_catalog.pg_has_role(s.stxowner, 'USAGE'),"
        " pg_catalog.has_schema_privilege(n.oid, 'USAGE'),"
        " pg_catalog.has_schema_privilege(n.oid, 'CREATE')"
        " FROM pg_catalog.pg_statistic_ext s"
        " JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace"
        " WHERE s.oid::int8 = ANY (%(statistics)b::int8[])"
        ") o WHERE NOT (o.owned AND o.usable AND o.creatable)"
        " ORDER BY o.schema, o.name"
    )


def object_names() -> sql.SQL:
    """Return the query for every name seqcheck renames, or could change.

    One row per name in non-system schemas: ``key, schema, name``, where
    *key* is ``oid << 13 | sub << 2 | space`` (:func:`seqcheck.verify.key`),
    *space* 0 for a relation (``pg_class``), 1 a constraint, 2 statistics, 3
    a column (of a table or an index, *sub* its number, at most 1600).
    Cheap enough to read before and after each batch's renames: one int8 and
    two texts a row. (``<<`` and ``|`` bind alike in SQL: parenthesized.)
    """
    return sql.SQL(
        "WITH ns AS (SELECT n.oid, n.nspname::text AS name"
        " FROM pg_catalog.pg_namespace n"
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        " AND n.nspname !~ '^pg_(toast_)?temp_')"
        " SELECT c.oid::int8 << 13, ns.name, c.relname::text"
        " FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace"
        " UNION ALL"
        " SELECT (k.oid::int8 << 13) | 1, ns.name, k.conname::text"
        " FROM pg_catalog.pg_constraint k JOIN ns ON ns.oid = k.connamespace"
        " UNION ALL"
        " SELECT (s.oid::int8 << 13) | 2, ns.name, s.stxname::text"
        " FROM pg_catalog.pg_statistic_ext s JOIN ns ON ns.oid = s.stxnamespace"
        " UNION ALL"
        " SELECT (a.attrelid::int8 << 13) | (a.attnum::int8 << 2) | 3, ns.name,"
        " a.attname::text"
        " FROM pg_catalog.pg_attribute a"
        " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
        " AND c.relkind IN ('r', 'p', 'f', 'm', 'i', 'I')"
        " JOIN ns ON ns.oid = c.relnamespace"
        " WHERE a.attnum > 0 AND NOT a.attisdropped"
    )


def lock_holders() -> sql.SQL:
    """Return the query for other sessions' locks on some relations or objects.

    Parameters: ``relations`` and ``objects``, lists of OIDs (relation locks
    and object locks such as a statistics object's). One row per lock:
    ``pid, mode, granted, application_name, usename, state, xact_start,
    query_start``; held locks first.
    """
    return sql.SQL(
        "SELECT l.pid, l.mode, l.granted,"
        " coalesce(a.application_name, '') AS application_name,"
        " coalesce(a.usename::text, '') AS usename,"
        " coalesce(a.state, '') AS state, a.xact_start, a.query_start"
        " FROM pg_catalog.pg_locks l"
        " LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.pid <> pg_catalog.pg_backend_pid()"
        " AND l.database IN (0, (SELECT d.oid FROM pg_catalog.pg_database d"
        " WHERE d.datname = pg_catalog.current_database()))"
        " AND ((l.locktype = 'relation'"
        " AND l.relation::int8 = ANY (%(relations)s::int8[]))"
        " OR (l.locktype = 'object' AND l.objid::int8 = ANY (%(objects)s::int8[])))"
        " ORDER BY l.granted DESC, l.pid"
    )


# -- alembic: renames by name, for the operations of seqcheck.alembic.ops --


def rename_by_name(
    kind: StatementKind, schema: str | None, owner: str, old: str, new: str
) -> sql.Composed:
    """Return the statement that renames *old* to *new*, schema optional.

    For Alembic's operations, which name objects as a migration sees them:
    *schema* ``None`` leaves the name unqualified (the search path decides).

    :param owner: the table (constraint renames), or the index (index-column
        renames); ignored for indexes, sequences and statistics.
    """
    head, verb = _HEADS[kind]
    match kind:
        case (
            StatementKind.ALTER_INDEX
            | StatementKind.ALTER_SEQUENCE
            | StatementKind.ALTER_STATISTICS
        ):
            return sql.Composed(
                [
                    sql.SQL(head),
                    _qualified(schema, old),
                    sql.SQL(verb),
                    sql.Identifier(new),
                ]
            )
    return sql.Composed(
        [
            sql.SQL(head),
            _qualified(schema, owner),
            sql.SQL(verb),
            sql.Identifier(old),
            _TO,
            sql.Identifier(new),
        ]
    )


def _qualified(schema: str | None, name: str) -> sql.Identifier:
    return sql.Identifier(schema, name) if schema else sql.Identifier(name)
