"""The ``sql`` format: the plan's rename script, one transaction.

Stage: render. Pure; the statements come from :mod:`seqcheck.statements`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.render.report import visible
from seqcheck.statements import script

if TYPE_CHECKING:
    from seqcheck.render.report import Databases, Report

__all__ = ["render", "several"]


def render(report: Report) -> str:
    """Return the script that renames everything *report* plans."""
    return script(report.plan)


def several(scans: Databases) -> str:
    """Return one script section per database, each under a comment header.

    Each section renames in its own database only: it is meant to be cut
    out and run there (the file's first lines say so), not run as a whole.
    """
    count = len(scans.databases)
    lines = [
        f"-- seqcheck: rename scripts for {count} databases, one section each;"
        " run each section on its own database, never this file as a whole",
    ]
    for database in scans.databases:
        name = visible(database.name)
        lines += ["", f"-- ==== {name} ===="]
        if database.report is None:
            lines.append(f"-- not scanned: {visible(database.error or '')}")
            continue
        text = database.script
        if text is None:
            text = render(database.report)
        lines.append(text.rstrip("\n"))
    return "\n".join(lines) + "\n"
