"""The ``alembic`` format: an Alembic revision file that renames, and renames back.

Stage: render. Pure; the statements come from :mod:`seqcheck.statements`, so
``upgrade()`` runs exactly what ``seqcheck fix --apply`` runs, and
``downgrade()`` the undo script's statements. Alembic has no operation that
renames an index, a constraint or a sequence, so each is an ``op.execute``.
Strings go through SQLAlchemy's ``text()``, so every ``:`` is escaped as
``\\:`` (a name such as ``a:b`` is not a bind parameter).

The file is laid out as ``ruff format`` lays it out (lines of at most 88
characters where names allow, long strings split between tokens), and its
revision id is derived from its statements unless one is given.
"""

from __future__ import annotations

import hashlib
import textwrap
from typing import TYPE_CHECKING
from unicodedata import east_asian_width

from seqcheck.plan import undo_steps
from seqcheck.statements import (
    DEFAULT_LOCK_TIMEOUT,
    as_text,
    comment,
    set_lock_timeout,
    statement_texts,
    step_note,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from seqcheck.findings import Finding
    from seqcheck.plan import RenameStep
    from seqcheck.render.report import Report

__all__ = ["render", "revision_file"]

_WIDTH = 88
_INDENT = "    "


def render(report: Report) -> str:
    """Return a revision file for *report*'s plan (one transaction)."""
    return revision_file(
        (report.plan.steps,), tool_version=report.tool_version, refused=report.refused
    )


def revision_file(
    batches: Sequence[Sequence[RenameStep]],
    *,
    tool_version: str,
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
    revision: str | None = None,
    down_revision: str | None = None,
    refused: Sequence[Finding] = (),
) -> str:
    """Return an Alembic revision file whose upgrade runs *batches*.

    :param batches: the plan's steps as ``--apply`` cuts them; the file runs
        them in order in Alembic's one transaction.
    :param revision: the revision id (default: derived from the statements).
    :param down_revision: the revision this one follows (default: none).
    :param refused: findings left out for their text references (named in
        the docstring).
    """
    steps = [step for batch in batches for step in batch]
    undo = [step for batch in undo_steps(batches) for step in batch]
    set_timeout = as_text(set_lock_timeout(lock_timeout))
    upgrade = list(zip(map(step_note, steps), statement_texts(steps), strict=True))
    downgrade = list(zip(map(step_note, undo), statement_texts(undo), strict=True))
    if revision is None:
        digest = hashlib.sha256()
        for _, text in upgrade:
            digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
        revision = digest.hexdigest()[:12]
    lines = [
        *_docstring(len(steps), len(batches), lock_timeout, refused, tool_version),
        f"Revision ID: {_one_line(revision)}",
        f"Revises: {_one_line(down_revision or '')}".rstrip(),
        '"""',
        "",
    ]
    if steps:
        lines.append("from alembic import op")
        lines.append("")
    lines += [
        "# revision identifiers, used by Alembic.",
        f"revision = {_literal(revision)}",
        f"down_revision = {_literal(down_revision) if down_revision else None}",
        "branch_labels = None",
        "depends_on = None",
    ]
    functions = (
        ("upgrade", "Rename to the names PostgreSQL would give today.", upgrade),
        ("downgrade", "Rename back to the names before upgrade().", downgrade),
    )
    for name, what, body in functions:
        lines += ["", "", f"def {name}() -> None:", f'{_INDENT}"""{what}"""']
        if body:
            lines += _call(set_timeout)
        for note, text in body:
            lines += _comment(note)
            lines += _call(text)
    return "\n".join(lines) + "\n"


def _docstring(
    count: int,
    batches: int,
    lock_timeout: str,
    refused: Sequence[Finding],
    tool_version: str,
) -> list[str]:
    """Return the module docstring's lines, up to its revision lines."""
    renames = f"{count} rename{'' if count == 1 else 's'}"
    text = (
        f"Written by seqcheck {tool_version} (seqcheck fix --format alembic):"
        f" {renames} of sequences, indexes, constraints and statistics whose"
        " names still carry old table or column names. upgrade() gives them the"
        " names PostgreSQL would give a fresh CREATE of the schema today;"
        " downgrade() renames them back. Both run in Alembic's transaction,"
        f" with SET LOCAL lock_timeout = '{lock_timeout}'. Nothing is dropped,"
        " created or rewritten."
    )
    if batches > 1:
        text += (
            f" seqcheck fix --apply would run this plan in {batches} transactions:"
            " raise max_locks_per_transaction for one, or use seqcheck fix --apply."
        )
    if refused:
        text += (
            f" Left out: {len(refused)} object{'' if len(refused) == 1 else 's'}"
            " named as text in defaults or function bodies (see seqcheck scan)."
        )
    if not count:
        text = f"Written by seqcheck {tool_version}: nothing to rename."
    first = '"""' + _one_line(f"Rename drifted names (seqcheck {tool_version}).")
    wrapped = textwrap.wrap(_one_line(text), _WIDTH, break_on_hyphens=False)
    return [first, "", *wrapped, ""]


def _comment(note: str) -> list[str]:
    """Return *note* as ``#`` lines that fit, escaped like the sql format's."""
    prefix = f"{_INDENT}# "
    room = _WIDTH - len(prefix)
    lines: list[str] = []
    line = ""
    for word in comment(note)[3:].split(" "):
        joined = f"{line} {word}" if line else word
        if _width(joined) <= room:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:  # a word too long for a line of its own is cut
            if _width(line + char) > room:
                lines.append(line)
                line = ""
            line += char
    lines.append(line)
    return [(prefix + line).rstrip() for line in lines if line]


def _width(text: str) -> int:
    """Return how many columns *text* takes, as ruff counts them (wide: 2)."""
    return sum(2 if east_asian_width(c) in "WF" else 1 for c in text)


def _call(text: str) -> list[str]:
    """Return ``op.execute(<text>)`` as ruff format lays it out."""
    escaped = text.replace(":", "\\:")
    literal = _literal(escaped)
    one = f"{_INDENT}op.execute({literal})"
    if _width(one) <= _WIDTH:
        return [one]
    inner = _INDENT * 2
    if _width(inner + literal) <= _WIDTH:
        return [f"{_INDENT}op.execute(", inner + literal, f"{_INDENT})"]
    pieces = [inner + piece for piece in _pieces(escaped)]
    return [f"{_INDENT}op.execute(", *pieces, f"{_INDENT})"]


def _pieces(text: str) -> list[str]:
    """Split *text* at spaces and dots outside quotes into literals that fit."""
    cuts: list[str] = []
    current = ""
    quoted = False
    for char in text:
        current += char
        if char == '"':
            quoted = not quoted
        elif not quoted and char in " .":
            cuts.append(current)
            current = ""
    if current:
        cuts.append(current)
    room = _WIDTH - 2 * len(_INDENT)
    pieces: list[str] = []
    for cut in cuts:
        if pieces and _width(_literal(pieces[-1] + cut)) <= room:
            pieces[-1] += cut
        else:
            pieces.append(cut)
    return [_literal(p) for p in pieces]


def _literal(text: str) -> str:
    """Return *text* as a Python string literal, quoted as ruff format quotes it."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    out: list[str] = []
    for char in text:
        if char in ("\\", quote):
            out.append("\\" + char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF:
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return quote + "".join(out) + quote


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _one_line(text: str) -> str:
    """Return *text* for the docstring: one line, quotes and backslashes escaped."""
    return _literal(text.replace('"', "'"))[1:-1]
