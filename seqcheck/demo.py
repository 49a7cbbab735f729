"""The marathon → snickers walk-through: drift, a symptom, the fix, a clean re-scan.

Stage: an edge, like the CLI's pipeline: it starts a throwaway server
(:mod:`seqcheck.embedded`), runs the story's DDL, then scans, plans and applies
with the same stages as ``scan`` and ``fix``. It writes nothing to the terminal:
every piece of text goes to the *say* callback, in order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqcheck import __version__
from seqcheck.apply import apply_plan
from seqcheck.connect import connect
from seqcheck.embedded import start_server
from seqcheck.errors import SeqcheckError
from seqcheck.pipeline import scan_connection
from seqcheck.render import FORMATS, Report
from seqcheck.render import fix as render_fix
from seqcheck.statements import script

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import psycopg

    from seqcheck.pipeline import Scanned

__all__ = ["MIGRATION", "SCHEMA", "run_demo"]

SCHEMA = """\
CREATE TABLE owner (
    id serial PRIMARY KEY,
    name text NOT NULL
);
CREATE TABLE marathon (
    id serial PRIMARY KEY,
    name text UNIQUE,
    weight_g int CHECK (weight_g > 0),
    owner_id int REFERENCES owner
);
CREATE INDEX ON marathon (owner_id, weight_g);
INSERT INTO owner (name) VALUES ('Mars');
INSERT INTO marathon (name, weight_g, owner_id)
VALUES ('classic', 58, 1), ('duo', 83, 1), ('mini', 15, 1);
"""

ALEMBIC = """\
def upgrade() -> None:
    op.rename_table("marathon", "snickers")
    op.alter_column("snickers", "weight_g", new_column_name="grams")
"""

MIGRATION = """\
ALTER TABLE marathon RENAME TO snickers;
ALTER TABLE snickers RENAME COLUMN weight_g TO grams;
"""

_SERIAL = "SELECT pg_get_serial_sequence('snickers', 'id')"
_COUNT = "SELECT count(*) FROM snickers"
_LAST_VALUE = (
    "SELECT last_value FROM pg_sequences"
    " WHERE sequencename IN ('marathon_id_seq', 'snickers_id_seq')"
)


def run_demo(say: Callable[[str], None], *, pg_bin: Path | None = None) -> None:
    """Tell the marathon → snickers story on a throwaway server, through *say*.

    :param pg_bin: a PostgreSQL ``bin`` dir; the embedded wheel's by default.
    :raises SeqcheckError: the server could not start, or the story did not
        end as it should (a renamed sequence, a clean re-scan, the same rows).
    """
    with start_server(pg_bin) as server:
        say(
            f"seqcheck {__version__} demo on a throwaway PostgreSQL {server.major}"
            " (removed afterwards)\n\n"
        )
        with connect(server.dsn()) as conn:
            _tell(conn, say)


def _tell(conn: psycopg.Connection[Any], say: Callable[[str], None]) -> None:
    conn.execute(SCHEMA)
    say(
        "1. The app starts with tables owner and marathon: a serial primary key,"
        " a unique name,\n   a check on weight_g, a foreign key to owner and an"
        " index on (owner_id, weight_g); 3 rows.\n\n"
    )
    say("2. A hand-written Alembic migration renames the table and a column:\n\n")
    say(_indent(ALEMBIC) + "\n   which runs\n\n" + _indent(MIGRATION) + "\n")
    conn.execute(MIGRATION)
    rows, position = _count(conn), _last_value(conn)
    before = scan_connection(conn)
    say(
        "3. PostgreSQL renamed nothing that was named after them."
        " seqcheck scan:\n\n" + _indent(_table(before)) + "\n"
    )
    say(
        "   The sequence still carries the old name:\n\n"
        f"     {_SERIAL};  →  {_serial(conn)}\n\n"
    )
    say(
        "4. seqcheck fix --format sql: the rename plan, one transaction"
        " (no DROP, no CREATE, no row touched):\n\n"
        + _indent(script(before.plan))
        + "\n"
    )
    result = apply_plan(conn, before.plan)
    say("5. seqcheck fix --apply:\n\n" + _indent(render_fix.applied(result)) + "\n")
    after = scan_connection(conn)
    serial = _serial(conn)
    say(
        "6. The re-scan is clean, and the sequence belongs to snickers by name too:"
        "\n\n" + _indent(_table(after)) + "\n"
        f"     {_SERIAL};  →  {serial}\n\n"
        f"   Rows in snickers: {rows} before, {_count(conn)} after;"
        f" sequence last_value: {position} before, {_last_value(conn)} after.\n"
    )
    _check(after, serial, (rows, position), (_count(conn), _last_value(conn)))


def _check(
    after: Scanned, serial: str, before: tuple[int, int], now: tuple[int, int]
) -> None:
    if after.drift.findings:
        raise SeqcheckError(f"demo: {len(after.drift.findings)} findings left")
    if serial != "public.snickers_id_seq":
        raise SeqcheckError(f"demo: the serial sequence is {serial}")
    if before != now:
        raise SeqcheckError(f"demo: rows and sequence were {before}, now {now}")


def _table(scanned: Scanned) -> str:
    report = Report(scanned.drift, scanned.plan, scanned.server, __version__)
    return FORMATS["table"](report)


def _serial(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute(_SERIAL).fetchone()
    return str(row[0]) if row else ""


def _count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(_COUNT).fetchone()
    return int(row[0]) if row else -1


def _last_value(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(_LAST_VALUE).fetchone()
    return int(row[0]) if row else -1


def _indent(text: str) -> str:
    return "".join(
        f"     {line}" if line.strip() else line
        for line in text.splitlines(keepends=True)
    )
