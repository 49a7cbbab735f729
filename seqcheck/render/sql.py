"""The ``sql`` format: the plan's rename script, one transaction.

Stage: render. Pure; the statements come from :mod:`seqcheck.statements`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.statements import script

if TYPE_CHECKING:
    from seqcheck.render.report import Report

__all__ = ["render"]


def render(report: Report) -> str:
    """Return the script that renames everything *report* plans."""
    return script(report.plan)
