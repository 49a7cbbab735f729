"""The ``json`` format: a versioned document (``"version": 1``) for tools.

Stage: render. Pure. Written field by field, never dumped from internal types;
the shape is part of the CLI contract (DESIGN.md, "Findings").
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from seqcheck.findings import Tier
from seqcheck.render.report import by_table, fixes

if TYPE_CHECKING:
    from seqcheck.apply import ApplyResult
    from seqcheck.findings import Finding
    from seqcheck.references import TextReference
    from seqcheck.render.report import Databases, Fix, Report

__all__ = ["VERSION", "applied", "document", "render", "several"]

#: The document's format version; bump it on any incompatible change.
VERSION = 1

_Json = str | int | float | bool | None | list["_Json"] | dict[str, "_Json"]


def render(report: Report) -> str:
    """Return *report* as a JSON document, one trailing newline."""
    # Compact: the C encoder is ten times faster than indenting (jq pretty-prints).
    return json.dumps(document(report), ensure_ascii=False) + "\n"


def several(scans: Databases) -> str:
    """Return one document for several databases, one trailing newline.

    ``{"version": 1, "tool": …, "databases": [{"dsn", "exit", "error",
    "report"}]}``: ``dsn`` names the database without a password, ``report``
    is the single-database document (``null`` with an ``error``).
    """
    databases: list[_Json] = [
        {
            "dsn": database.name,
            "exit": database.exit,
            "error": database.error,
            "report": None if database.report is None else document(database.report),
        }
        for database in scans.databases
    ]
    doc: dict[str, _Json] = {
        "version": VERSION,
        "tool": f"seqcheck {scans.tool_version}",
        "databases": databases,
    }
    return json.dumps(doc, ensure_ascii=False) + "\n"


def applied(result: ApplyResult, after: Report) -> str:
    """Return what ``fix --apply`` renamed, and the findings it left, as one document.

    The scan document of *after* (the findings left, which ``fix`` did not
    plan), with ``applied`` after ``database``: ``transactions``,
    ``statements`` and ``seconds``, and ``renames``, each object's first
    and last name (``kind``, ``schema``, ``table``, ``index`` for an index
    column, ``old``, ``new``) with the places that still name it as text
    under its old name (``text_references``, as in findings).
    """
    doc = document(after)
    references = after.references
    renames: list[_Json] = [
        {
            "kind": r.kind.value,
            "schema": r.schema,
            "table": r.table,
            "index": r.index or None,
            "old": r.old,
            "new": r.new,
            "text_references": [
                {"kind": t.kind, "where": t.where, "text": t.text}
                for t in references.of_object(r.kind, r.object_oid)
            ],
        }
        for r in result.renames
    ]
    done: dict[str, _Json] = {
        "transactions": result.batches,
        "statements": len(result.steps),
        "seconds": round(result.seconds, 3),
        "renames": renames,
    }
    head = ("version", "tool", "database")
    whole = {k: doc[k] for k in head} | {"applied": done}
    whole |= {k: v for k, v in doc.items() if k not in head}
    return json.dumps(whole, ensure_ascii=False) + "\n"


def document(report: Report) -> dict[str, _Json]:
    """Return the document as plain JSON values."""
    drift = report.drift
    counts = report.counts()
    fixed = fixes(report.plan)
    tables: list[_Json] = []
    for schema, table, findings in by_table(drift.findings):
        renamed = drift.renamed_from.get((schema, table), ())
        tables.append(
            {
                "schema": schema,
                "table": table,
                "renamed_from": list(renamed),
                "findings": [
                    _finding(f, fixed.get(f), report.references.of(f)) for f in findings
                ],
            }
        )
    return {
        "version": VERSION,
        "tool": f"seqcheck {report.tool_version}",
        "database": {
            "name": report.server.database,
            "server_version": report.server_version,
        },
        "summary": {
            "tables_checked": drift.tables_checked,
            "findings": len(drift.findings),
            "certain": counts[Tier.CERTAIN],
            "likely": counts[Tier.LIKELY],
            "custom": counts[Tier.CUSTOM],
            "index_column": counts[Tier.INDEX_COLUMN],
        },
        "tables": tables,
    }


def _finding(
    finding: Finding,
    fix: Fix | None,
    references: tuple[TextReference, ...],
) -> dict[str, _Json]:
    """Return one finding; ``statement`` holds every step that fixes it."""
    return {
        "code": finding.code,
        "kind": finding.kind.value,
        "tier": finding.tier.value,
        "reason": finding.reason.value,
        "name": finding.name,
        "expected": finding.expected,
        "stale": finding.stale,
        "statement": fix.statement if fix is not None else None,
        "lock": fix.lock if fix is not None else None,
        "text_references": [
            {"kind": r.kind, "where": r.where, "text": r.text} for r in references
        ],
    }
