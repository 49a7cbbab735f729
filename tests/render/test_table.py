"""The table format: grouped, one line per finding, colour only when asked."""

from __future__ import annotations

import re
import unicodedata

from seqcheck.render import FORMATS
from seqcheck.render.table import shown
from tests.render.hostile import hostile_report, match_snapshot

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_snapshot() -> None:
    match_snapshot("hostile.table.txt", FORMATS["table"](hostile_report()))


def test_colour_snapshot() -> None:
    text = FORMATS["table"](hostile_report(colour=True))
    match_snapshot("hostile.table.colour.txt", text)
    assert ANSI.search(text)


def test_no_escape_codes_without_colour() -> None:
    text = FORMATS["table"](hostile_report())
    assert "\x1b" not in text  # not even the one in a constraint name


def test_colour_changes_nothing_but_escape_codes() -> None:
    plain = FORMATS["table"](hostile_report())
    coloured = FORMATS["table"](hostile_report(colour=True))
    # Column widths ignore escape codes, so stripping them gives the plain text.
    assert ANSI.sub("", coloured.replace("\x1b[1m", "")) == plain


def test_one_line_per_finding_grouped_by_table() -> None:
    text = FORMATS["table"](hostile_report())
    lines = text.splitlines()
    assert (
        'we"ird sch:ema.Snick ers, 100% (renamed from Mara\\nthon, marathon)' in lines
    )
    assert "public.a (renamed from b)" in lines
    rows = [
        line
        for line in lines
        if line.startswith("  ") and "---" not in line and line[2:4] not in ("no", "  ")
    ]
    assert len([r for r in rows if not r.lstrip().startswith("tier")]) == 9
    assert lines[-3] == (
        "9 findings (5 certain, 1 likely, 2 custom, 1 index-column)"
        " in 42 tables checked."
    )


def test_text_references_are_noted_under_their_table() -> None:
    lines = FORMATS["table"](hostile_report()).splitlines()
    note = lines.index(
        "  note: 😀 marathon_id_seq is named as text (a textual match: it may"
        " over-report); renaming it breaks them; seqcheck never rewrites them:"
    )
    assert lines[note + 1].startswith(
        '    column we"ird sch:ema.Snick ers, 100%.legacy\\tid default: nextval(('
    )
    assert lines[-2] == (
        "2 objects named as text (a textual match: it may over-report):"
        " seqcheck fix renames them only with --allow-text-references."
    )


def test_clean() -> None:
    assert FORMATS["table"](hostile_report(clean=True)) == "No drift in 1 table.\n"


def test_shown_escapes_controls_and_backslashes() -> None:
    assert shown("a\nb\\c\x1bd") == "a\\nb\\\\c\\u001bd"


def _columns(text: str) -> int:
    """The terminal columns *text* takes (wide characters two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_columns_line_up_on_a_terminal_with_wide_characters() -> None:
    """The emoji row's columns start where the other rows' do, on a terminal."""
    lines = FORMATS["table"](hostile_report()).splitlines()
    head = lines.index(
        'we"ird sch:ema.Snick ers, 100% (renamed from Mara\\nthon, marathon)'
    )
    header, rows = lines[head + 1], lines[head + 3 : head + 7]
    assert any("😀" in row for row in rows)
    starts = {_columns(row[: row.index(" table")]) for row in rows if "table" in row}
    starts |= {_columns(row[: row.index(" stale")]) for row in rows if "stale" in row}
    assert len(rows) == 4 and starts == {_columns(header[: header.index(" reason")])}
