"""The one input every renderer takes: a scan's results and how to show them.

Stage: render. Pure: imports records, drift, plan and rule types, and
:mod:`seqcheck.statements` for the text of a fix.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from seqcheck.findings import Finding, Tier
from seqcheck.references import TextReferences
from seqcheck.rules import RULES
from seqcheck.statements import statement_texts

if TYPE_CHECKING:
    from seqcheck.catalog import ServerInfo
    from seqcheck.drift import Drift
    from seqcheck.plan import Plan

__all__ = [
    "Database",
    "Databases",
    "Fix",
    "Report",
    "by_table",
    "fails",
    "fixes",
    "rule_title",
    "tally",
    "visible",
]

# Control characters, line breaks, lone surrogates (names read as raw bytes)
# and non-characters: never written raw by a format meant for logs or XML.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Report:
    """A scan's results, ready to render.

    :param drift: the findings to show (already filtered by the CLI).
    :param plan: the rename steps that fix them.
    :param server: the server and database scanned.
    :param tool_version: seqcheck's version.
    :param strict: ``--strict`` was given (custom findings are reported).
    :param colour: the table may use ANSI colours.
    :param references: text references to the findings' objects.
    :param refused: findings left out of *plan* for their text references.
    :param command: the command that made it (``scan`` or ``fix``), named in
        the hint for a rename script.
    """

    drift: Drift
    plan: Plan
    server: ServerInfo
    tool_version: str
    strict: bool = False
    colour: bool = False
    references: TextReferences = field(default_factory=TextReferences)
    refused: tuple[Finding, ...] = ()
    command: str = "scan"

    def counts(self) -> Counter[Tier]:
        """Return the number of findings per tier."""
        return Counter(f.tier for f in self.drift.findings)

    @property
    def server_version(self) -> str:
        """Return the server version without the packager's note (``15.18``)."""
        return self.server.version.split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class Database:
    """One database of a scan of several: its report, or why there is none.

    :param name: which database, where, without a password
        (:func:`seqcheck.connect.describe_database`).
    :param exit: its exit code, as the CLI decided it (0, 1 or 2).
    :param report: its scan; ``None`` when it could not be scanned.
    :param error: the one-line error (what and hint) when it could not.
    :param script: its ``sql`` script, cut in batches as on its server.
    """

    name: str
    exit: int
    report: Report | None = None
    error: str | None = None
    script: str | None = None


@dataclass(frozen=True, slots=True)
class Databases:
    """The input of each format's ``several``: one scan of several databases.

    :param databases: in the order given.
    :param tool_version: seqcheck's version.
    :param colour: the table may use ANSI colours.
    """

    databases: tuple[Database, ...]
    tool_version: str
    colour: bool = False


def by_table(findings: tuple[Finding, ...]) -> list[tuple[str, str, list[Finding]]]:
    """Group *findings* by ``(schema, table)`` in their (sorted) order."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.schema, finding.table), []).append(finding)
    return [(schema, table, found) for (schema, table), found in groups.items()]


def tally(scans: Databases) -> str:
    """Return one line counting the databases by outcome (their exit codes)."""
    codes = [db.exit for db in scans.databases]
    count = len(codes)
    parts = [f"{codes.count(1)} with drift", f"{codes.count(0)} clean"]
    if codes.count(2):
        parts.append(f"{codes.count(2)} not scanned (error)")
    return f"{count} database{'' if count == 1 else 's'}: {', '.join(parts)}."


def fails(report: Report, finding: Finding) -> bool:
    """Tell whether *finding* makes the scan fail (an error, not a notice).

    Certain and likely findings do; custom ones under ``--strict`` only;
    ``index-column`` findings never (DESIGN.md, "CLI contract").
    """
    if finding.tier is Tier.INDEX_COLUMN:
        return False
    return finding.tier is not Tier.CUSTOM or report.strict


class Fix(NamedTuple):
    """How a finding is fixed: its statements on one line, each ending in ``;``,
    and the lock of the last."""

    statement: str
    lock: str


def fixes(plan: Plan) -> dict[Finding, Fix]:
    """Return the fix of every finding *plan* renames (partition copies included).

    The statements of the whole plan are rendered at once
    (:func:`~seqcheck.statements.statement_texts`): plans can hold tens of
    thousands of steps.
    """
    text = dict(zip(map(id, plan.steps), statement_texts(plan.steps), strict=True))
    return {
        finding: Fix(" ".join(text[id(s)] + ";" for s in steps), steps[-1].lock)
        for finding, steps in plan.by_finding().items()
    }


def rule_title(code: str) -> tuple[str, str]:
    """Return a rule's kebab name and one-line summary from its docstring.

    The docstring's first line reads ``SC101 sequence-name: an owned sequence…``.
    """
    for rule in RULES:
        if rule.code == code:
            first = rule.doc.strip().partition("\n")[0]
            head, _, summary = first.partition(": ")
            return head.partition(" ")[2], summary.strip()
    raise KeyError(code)


def visible(text: str) -> str:
    """Return *text* on one line: invisible characters as ``\\n``, ``\\x1b``…

    Backslashes are left alone (unlike the table format's ``shown``), so a
    message that quotes names with ``repr`` is not escaped twice.
    """
    return _INVISIBLE.sub(lambda m: repr(m[0])[1:-1], text)
