"""Text for ``fix``: the plan's statements under the scan table, and what was renamed.

Stage: render. Pure: statements come from :mod:`seqcheck.statements`; names are
escaped for a terminal as the table format escapes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqcheck.findings import Kind
from seqcheck.plan import Phase
from seqcheck.references import CAVEAT, TextReferences
from seqcheck.render.table import all_plain, shown
from seqcheck.statements import statement_texts

if TYPE_CHECKING:
    from collections.abc import Sequence

    from seqcheck.apply import ApplyResult
    from seqcheck.findings import Finding
    from seqcheck.plan import Plan, RenameStep

__all__ = ["applied", "planned"]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def planned(
    plan: Plan,
    lock_timeout: str,
    batches: Sequence[Sequence[RenameStep]] | None = None,
    refused: Sequence[Finding] = (),
) -> str:
    """Return the statements ``fix --apply`` would run, one per line.

    :param batches: the steps of each transaction, as ``--apply`` cuts them;
        by default one, in plan order.
    :param refused: findings left out of the plan for their text references.
    """
    return _planned(plan, lock_timeout, batches) + _refused(refused)


def _refused(refused: Sequence[Finding]) -> str:
    if not refused:
        return ""
    lines = [
        f"Left out ({_plural(len(refused), 'object')} named as text, {CAVEAT};"
        " rename with --allow-text-references):",
        *(f"  {shown(f.schema)}.{shown(f.table)}: {shown(f.message)}" for f in refused),
    ]
    return "\n".join(lines) + "\n"


def _planned(
    plan: Plan, lock_timeout: str, batches: Sequence[Sequence[RenameStep]] | None
) -> str:
    if not plan.steps:
        return "Nothing to rename.\n"
    groups = [plan.steps] if batches is None else [b for b in batches if b]
    count = _plural(sum(len(b) for b in groups), "statement")
    where = "one transaction" if len(groups) == 1 else f"{len(groups)} transactions"
    lines = [
        f"Plan: {count} in {where} (lock_timeout {lock_timeout});"
        " run it with seqcheck fix --apply",
    ]
    for number, steps in enumerate(groups, 1):
        if len(groups) > 1:
            lines.append(f"  -- batch {number} of {len(groups)}")
        for step, text in zip(steps, statement_texts(steps), strict=True):
            line = "  " + shown(text) + ";"
            if step.phase is not Phase.RENAME:
                line += f"  -- {step.phase}"
            lines.append(line)
    return "\n".join(lines) + "\n"


def applied(
    result: ApplyResult,
    left: tuple[Finding, ...] = (),
    references: TextReferences | None = None,
) -> str:
    """Return what *result* renamed, and the findings it left (*left*).

    :param references: text references found before the renames: those to
        renamed objects now name old names; those to *left* kept them out.
    """
    references = references or TextReferences()
    lines: list[str] = []
    if result.renames:
        kinds = [r.kind.value for r in result.renames]
        olds = [
            f"{r.schema}.{r.index}.{r.old}"
            if r.kind is Kind.INDEX_COLUMN
            else f"{r.schema}.{r.old}"
            for r in result.renames
        ]
        news = [r.new for r in result.renames]
        if not all_plain(olds) or not all_plain(news):
            olds, news = [shown(o) for o in olds], [shown(n) for n in news]
        # Aligned by hand: tabulate takes seconds for tens of thousands of rows.
        wide = max(map(len, kinds)), max(map(len, olds))
        table = [
            f"  {kind:<{wide[0]}}  {old:<{wide[1]}}  →  {new}".rstrip()
            for kind, old, new in zip(kinds, olds, news, strict=True)
        ]
        where, each = "one transaction", ""
        if result.batches > 1:
            where, each = f"{result.batches} transactions", "each "
        lines += [
            f"Renamed {_plural(len(result.renames), 'object')} in {where}"
            f" ({_plural(len(result.steps), 'statement')}, {result.seconds:.2f} s),"
            f" {each}verified by a re-scan before commit:",
            *table,
        ]
    else:
        lines.append("Nothing to rename.")
    broken = [
        (r, found)
        for r in result.renames
        if (found := references.of_object(r.kind, r.object_oid))
    ]
    if broken:
        lines.append(
            "Named as text under their old names (update these yourself;"
            f" seqcheck never rewrites them; {CAVEAT}):"
        )
        for rename, found in broken:
            lines.append(f"  {shown(rename.schema)}.{shown(rename.old)}:")
            lines += [f"    {shown(t.where)}: {shown(t.text)}" for t in found]
    if left:
        lines.append(f"Left as they are ({_plural(len(left), 'finding')}):")
        for f in left:
            line = f"  {shown(f.schema)}.{shown(f.table)}: {shown(f.message)}"
            if references.of(f):
                line += " [named as text: rename with --allow-text-references]"
            lines.append(line)
    return "\n".join(lines) + "\n"
