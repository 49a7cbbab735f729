"""The ``table`` format (default): findings grouped by table, then a summary.

Stage: render. Pure. Names are shown with control characters escaped, so a
name cannot break a row or send escape codes to the terminal; ANSI colour is
used only when :attr:`Report.colour` is set.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from unicodedata import combining, east_asian_width

from seqcheck.findings import Tier
from seqcheck.references import CAVEAT
from seqcheck.render.report import by_table, tally

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from seqcheck.findings import Finding
    from seqcheck.render.report import Databases, Report

__all__ = ["all_plain", "render", "several", "shown", "summary"]

_HEADERS = ("tier", "kind", "name", "expected", "reason")
_COLOURS = {
    Tier.CERTAIN: "\x1b[31m",
    Tier.LIKELY: "\x1b[33m",
    Tier.CUSTOM: "\x1b[36m",
    Tier.INDEX_COLUMN: "\x1b[2m",
}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\\\u2028\u2029]")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str) -> str:
    """Return *text* for a terminal: backslash, newlines and controls escaped."""
    return _UNSAFE.sub(lambda m: _ESCAPES.get(m[0]) or f"\\u{ord(m[0]):04x}", text)


def all_plain(texts: Iterable[str]) -> bool:
    """Tell whether :func:`shown` leaves every one of *texts* as it is."""
    return _UNSAFE.search("".join(texts)) is None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render(report: Report) -> str:
    """Return *report* as grouped plain-text tables and a summary line."""
    drift = report.drift
    if not drift.findings:
        return summary(report) + "\n"
    blocks: list[str] = []
    for schema, table, findings in by_table(drift.findings):
        title = f"{shown(schema)}.{shown(table)}"
        renamed = drift.renamed_from.get((schema, table), ())
        if renamed:
            title += f" (renamed from {', '.join(shown(r) for r in renamed)})"
        rows = [
            (
                f.tier.value,
                f.kind.value,
                shown(f.name),
                shown(f.expected),
                f.reason.value,
            )
            for f in findings
        ]
        body = _aligned(rows, [_paint(report, f.tier, f.tier.value) for f in findings])
        heading = f"{_BOLD}{title}{_RESET}" if report.colour else title
        notes = "".join(_references(report, f) for f in findings)
        blocks.append(heading + "\n" + body + notes)
    lines = ["\n\n".join(blocks), "", summary(report)]
    named = sum(1 for f in drift.findings if report.references.of(f))
    if named:
        lines.append(
            f"{_plural(named, 'object')} named as text ({CAVEAT}): seqcheck fix"
            " renames them only with --allow-text-references."
        )
    if report.plan.steps:
        lines.append(f"Rename script: seqcheck {report.command} --format sql")
    return "\n".join(lines) + "\n"


def summary(report: Report) -> str:
    """Return the summary line: findings per tier and tables checked."""
    drift = report.drift
    checked = _plural(drift.tables_checked, "table")
    if not drift.findings:
        return f"No drift in {checked}."
    counts = report.counts()
    parts = [f"{counts[Tier.CERTAIN]} certain", f"{counts[Tier.LIKELY]} likely"]
    if counts[Tier.CUSTOM]:
        parts.append(f"{counts[Tier.CUSTOM]} custom")
    if counts[Tier.INDEX_COLUMN]:
        parts.append(f"{counts[Tier.INDEX_COLUMN]} index-column")
    return (
        f"{_plural(len(drift.findings), 'finding')} ({', '.join(parts)})"
        f" in {checked} checked."
    )


def several(scans: Databases) -> str:
    """Return one section per database, each under a header line, then a tally.

    The header names the database and gives its summary (or its error); a
    database with findings has its table below.
    """
    blocks: list[str] = []
    for database in scans.databases:
        report = database.report
        if report is None:
            head = f"== {shown(database.name)}: error: {shown(database.error or '')}"
        else:
            head = f"== {shown(database.name)}: {summary(report)}"
        if scans.colour:
            head = f"{_BOLD}{head}{_RESET}"
        if report is not None and report.drift.findings:
            head += "\n\n" + render(report).rstrip("\n")
        blocks.append(head)
    blocks.append(tally(scans))
    return "\n\n".join(blocks) + "\n"


def _references(report: Report, finding: Finding) -> str:
    """Return the note under *finding*'s table: where its name is written as text."""
    found = report.references.of(finding)
    if not found:
        return ""
    then = (
        "left out of the plan: rerun with --allow-text-references to rename it"
        if finding in report.refused
        else "renaming it breaks them; seqcheck never rewrites them"
    )
    lines = [
        f"  note: {shown(finding.name)} is named as text ({CAVEAT}); {then}:",
        *(f"    {shown(r.where)}: {shown(r.text)}" for r in found),
    ]
    return "\n" + "\n".join(lines)


def _paint(report: Report, tier: Tier, text: str) -> str:
    return f"{_COLOURS[tier]}{text}{_RESET}" if report.colour else text


def _aligned(rows: Sequence[Sequence[str]], first: list[str]) -> str:
    """Return *rows* under :data:`_HEADERS` in columns, indented by two spaces.

    The layout of tabulate's ``simple`` format (a column is its widest cell,
    or its header and two spaces), each row's first cell written as *first*
    gives it (painted) and padded as its plain text; widths are what a
    terminal shows (:func:`_width`). By hand: tabulate's type inference of
    each cell took a second for 35,000 findings.
    """
    sizes = [list(map(_width, row)) for row in rows]
    widths = [
        max(len(header) + 2, *column)
        for header, column in zip(_HEADERS, zip(*sizes, strict=True), strict=True)
    ]
    rule = ["-" * w for w in widths]
    lines = [
        _line(_HEADERS, _HEADERS[0], list(map(len, _HEADERS)), widths),
        _line(rule, rule[0], widths, widths),
    ]
    lines += [
        _line(row, head, size, widths)
        for row, head, size in zip(rows, first, sizes, strict=True)
    ]
    return "\n".join(lines)


def _line(cells: Sequence[str], first: str, sizes: list[int], widths: list[int]) -> str:
    """Return one row: *first* for the first cell, each cell padded to its width."""
    padded = [first + " " * (widths[0] - sizes[0])]
    padded += [
        cell + " " * (w - n)
        for cell, n, w in zip(cells[1:], sizes[1:], widths[1:], strict=True)
    ]
    return ("  " + "  ".join(padded)).rstrip()


def _width(text: str) -> int:
    """Return the columns *text* takes on a terminal: wide characters two,
    combining ones none."""
    if text.isascii():
        return len(text)
    return sum(
        0 if combining(c) else 2 if east_asian_width(c) in ("W", "F") else 1
        for c in text
    )
