"""Renderers: one module per output format, all pure, all ``(Report) -> str``.

Stage: render. A renderer never queries, never executes and never decides an
exit code; its output is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable

from seqcheck.render import alembic, github, json, junit, sarif, sql, table
from seqcheck.render.report import Report

__all__ = ["FORMATS", "Report"]

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
