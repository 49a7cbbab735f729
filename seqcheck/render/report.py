"""The one input every renderer takes: a scan's results and how to show them.

Stage: render. Pure: imports records, drift and plan types only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seqcheck.findings import Finding, Tier

if TYPE_CHECKING:
    from seqcheck.catalog import ServerInfo
    from seqcheck.drift import Drift
    from seqcheck.plan import Plan

__all__ = ["Report", "by_table"]


@dataclass(frozen=True, slots=True)
class Report:
    """A scan's results, ready to render.

    :param drift: the findings to show (already filtered by the CLI).
    :param plan: the rename steps that fix them.
    :param server: the server and database scanned.
    :param tool_version: seqcheck's version.
    :param strict: ``--strict`` was given (custom findings are reported).
    :param colour: the table may use ANSI colours.
    """

    drift: Drift
    plan: Plan
    server: ServerInfo
    tool_version: str
    strict: bool = False
    colour: bool = False

    def counts(self) -> Counter[Tier]:
        """Return the number of findings per tier."""
        return Counter(f.tier for f in self.drift.findings)

    @property
    def server_version(self) -> str:
        """Return the server version without the packager's note (``15.18``)."""
        return self.server.version.split(" ", 1)[0]


def by_table(findings: tuple[Finding, ...]) -> list[tuple[str, str, list[Finding]]]:
    """Group *findings* by ``(schema, table)`` in their (sorted) order."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.schema, finding.table), []).append(finding)
    return [(schema, table, found) for (schema, table), found in groups.items()]
