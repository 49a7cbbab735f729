"""Renderers: one module per output format, all pure, all ``(Report) -> str``.

Each format but ``alembic`` also has ``several(Databases) -> str``, for a
scan of several databases (:data:`SEVERAL`).

Stage: render. A renderer never queries, never executes and never decides an
exit code; its output is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable

from seqcheck.render import alembic, github, json, junit, sarif, sql, table
from seqcheck.render.report import Database, Databases, Report

__all__ = ["FORMATS", "SEVERAL", "Database", "Databases", "Report"]

#: Output formats by ``--format`` name; the first is the default.
FORMATS: dict[str, Callable[[Report], str]] = {
    "table": table.render,
    "json": json.render,
    "sql": sql.render,
    "github": github.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "alembic": alembic.render,
}

#: The formats of a scan of several databases, by ``--format`` name.
SEVERAL: dict[str, Callable[[Databases], str]] = {
    "table": table.several,
    "json": json.several,
    "sql": sql.several,
    "github": github.several,
    "junit": junit.several,
    "sarif": sarif.several,
}
