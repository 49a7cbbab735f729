"""Text for ``fix``: the plan's statements under the scan table, and what was renamed.

Stage: render. Pure: statements come from :mod:`seqcheck.statements`; names are
escaped for a terminal as the table format escapes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabulate import tabulate

from seqcheck.findings import Kind
from seqcheck.plan import Phase
from seqcheck.render.table import shown
from seqcheck.statements import as_text, statement

if TYPE_CHECKING:
    from seqcheck.apply import ApplyResult
    from seqcheck.findings import Finding
    from seqcheck.plan import Plan

__all__ = ["applied", "planned"]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def planned(plan: Plan, lock_timeout: str) -> str:
    """Return the statements ``fix --apply`` would run, one per line."""
    if not plan.steps:
        return "Nothing to rename.\n"
    lines = [
        f"Plan: {_plural(len(plan.steps), 'statement')} in one transaction"
        f" (lock_timeout {lock_timeout}); run it with seqcheck fix --apply",
    ]
    for step in plan.steps:
        line = "  " + shown(as_text(statement(step))) + ";"
        if step.phase is not Phase.RENAME:
            line += f"  -- {step.phase}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def applied(result: ApplyResult, left: tuple[Finding, ...] = ()) -> str:
    """Return what *result* renamed, and the findings it left (*left*)."""
    lines: list[str] = []
    if result.renames:
        rows = [
            [
                r.kind.value,
                shown(f"{r.schema}.{r.index}.{r.old}")
                if r.kind is Kind.INDEX_COLUMN
                else shown(f"{r.schema}.{r.old}"),
                "→",
                shown(r.new),
            ]
            for r in result.renames
        ]
        table = tabulate(rows, tablefmt="plain", disable_numparse=True)
        lines += [
            f"Renamed {_plural(len(result.renames), 'object')} in one transaction"
            f" ({_plural(len(result.steps), 'statement')}, {result.seconds:.2f} s),"
            " verified by a re-scan before commit:",
            *("  " + line.rstrip() for line in table.splitlines()),
        ]
    else:
        lines.append("Nothing to rename.")
    if left:
        lines.append(f"Left as they are ({_plural(len(left), 'finding')}):")
        lines += [
            f"  {shown(f.schema)}.{shown(f.table)}: {shown(f.message)}" for f in left
        ]
    return "\n".join(lines) + "\n"
