"""psql scripts read the way psql splits them: statements and meta-commands.

Stage: a pure helper of :mod:`seqcheck.schemafile`; imports only the standard
library. It never runs anything: it finds what a schema file needs before it
is loaded (roles it mentions, files it includes) and what it must not do
(connect elsewhere, create a database), tolerantly: comments, string
literals, dollar quotes and ``COPY … FROM stdin`` data are skipped, as psql
skips them, so words inside them count for nothing. Offsets index the text
as read; :attr:`Statement.code` is the statement with comments and literals
blanked (newlines kept), so offsets and line numbers carry over.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "INCLUDES",
    "Meta",
    "Script",
    "Statement",
    "creates_roles",
    "icu_collations",
    "include_target",
    "mentioned_roles",
    "read_script",
]

#: psql meta-commands that read another file (``\\ir``: relative to the includer).
INCLUDES = frozenset({"i", "include", "ir", "include_relative"})
_RELATIVE = frozenset({"ir", "include_relative"})
_SENDS = frozenset({"g", "gx", "gset", "gexec", "gdesc"})

_SPECIAL = re.compile(r"--|/\*|[';\\$\"()]")
_BLOCK = re.compile(r"/\*|\*/")
_STRING = re.compile(r"(?:[^']|'')*'")
_ESTRING = re.compile(r"(?:[^'\\]|''|\\.)*'", re.S)
_IDENT_END = re.compile(r'(?:[^"]|"")*"')
# Identifier characters as PostgreSQL's scanner has them: ASCII letters, "_"
# and any non-ASCII character; then digits and "$" too. Written as negated
# ASCII classes, which compile fast even case-insensitively.
_START = r"[^\x00-@\[-^`{-\x7f]"
_PART = r"[^\x00-#%-/:-@\[-^`{-\x7f]"
_TAG_PART = r"[^\x00-/:-@\[-^`{-\x7f]"  # no "$" in a dollar-quote tag
_DOLLAR = re.compile(rf"\$(?:{_START}{_TAG_PART}*)?\$")
_META = re.compile(r"\\([A-Za-z_][A-Za-z0-9_]*|[^\sA-Za-z_])([^\n]*)")
_WORD_CHAR = re.compile(_PART)
_COPY_STDIN = re.compile(r"^\s*COPY\b[\s\S]*\bFROM\s+STDIN\b", re.I)
_META_COPY_STDIN = re.compile(r"^\s*\S[\s\S]*\bfrom\s+stdin\b", re.I)
_ROUTINE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b", re.I
)
_NOT_NEWLINE = re.compile(r"[^\n]")
_END_OF_DATA = re.compile(r"^\\\.[ \t\r]*$", re.M)
_BLOCK_WORD = re.compile(r"\b(BEGIN|CASE|END)\b", re.I)

_NAME = rf'"(?:[^"]|"")+"|{_START}{_PART}*'
_ROLE_LIST = rf"(?:GROUP\s+)?(?:{_NAME})(?:\s*,\s*(?:GROUP\s+)?(?:{_NAME}))*"
_ROLE_PATTERNS = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        rf"\bOWNER\s+TO\s+({_NAME})",
        rf"\bGRANT\b[\s\S]*?\bTO\s+({_ROLE_LIST})",
        rf"\bREVOKE\b[\s\S]*?\bFROM\s+({_ROLE_LIST})",
        rf"\bSET\s+(?:SESSION\s+|LOCAL\s+)?ROLE\s+(?:TO\s+|=\s*)?({_NAME})",
        rf"\bAUTHORIZATION\s+({_NAME})",
        rf"\bFOR\s+ROLE\s+({_ROLE_LIST})",
        rf"^\s*CREATE\s+POLICY\b[\s\S]*?\bTO\s+({_ROLE_LIST})",
    )
)
_CREATE_ROLE = re.compile(
    rf"^\s*CREATE\s+(?:ROLE|USER|GROUP)\s+(?:IF\s+NOT\s+EXISTS\s+)?({_NAME})", re.I
)
_ONE_NAME = re.compile(rf"(?:GROUP\s+)?({_NAME})", re.I)
_NOT_ROLES = frozenset(
    {"public", "current_user", "session_user", "current_role", "none", "default"}
)
_COLLATION = re.compile(r"^\s*CREATE\s+COLLATION\b", re.I)
_ICU_PROVIDER = re.compile(r"\bprovider\s*=\s*(['\"]?)icu\1", re.I)
_ICU_FROM = re.compile(
    r'\bFROM\s+(?:[\w$]+\s*\.\s*|"[^"]+"\s*\.\s*)?"[^"]*-x-icu"', re.I
)
_ICU_COLLATE = re.compile(
    r'\bCOLLATE\s+(?:pg_catalog\s*\.\s*|"pg_catalog"\s*\.\s*)?"[^"]*-x-icu"', re.I
)


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement as psql sends it.

    :param start: offset of its first character that psql sends (comments
        ``--`` and whitespace before it are dropped, as psql drops them).
    :param end: offset just past its terminating ``;`` (or the text's end).
    :param line: line number of `start` (1-based).
    :param end_line: line number of `end` (where psql reports errors).
    :param code: ``text[start:end]`` with comments and literals blanked.
    """

    start: int
    end: int
    line: int
    end_line: int
    code: str

    @property
    def keyword_line(self) -> int:
        """Return the line of its first word (after any leading comment)."""
        lead = len(self.code) - len(self.code.lstrip())
        return self.line + self.code.count("\n", 0, lead)


@dataclass(frozen=True, slots=True)
class Meta:
    r"""A psql meta-command: ``\name argument`` up to the end of its line.

    :param arg_start: offset of the argument, for rewriting it.
    """

    line: int
    name: str
    argument: str
    arg_start: int
    arg_end: int


@dataclass(frozen=True, slots=True)
class Script:
    """A psql script split into its statements and meta-commands."""

    path: Path
    text: str
    statements: tuple[Statement, ...]
    metas: tuple[Meta, ...]

    def statement_ending_at(self, line: int) -> Statement | None:
        """Return the last statement whose ``;`` is on `line`, if any."""
        found = None
        for statement in self.statements:
            if statement.end_line == line:
                found = statement
            elif statement.end_line > line:
                break
        return found


def read_script(path: Path, text: str) -> Script:
    """Split `text` (the contents of `path`) as psql would."""
    return _Lexer(text).run(path)


class _Lexer:
    """Walk a script once, from special character to special character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.code: list[str] = []  # the current statement, blanked
        self.start = -1  # offset of the current statement, or -1
        self.depth = 0
        self.statements: list[Statement] = []
        self.metas: list[Meta] = []

    def line_of(self, offset: int) -> int:
        return bisect.bisect_left(self.newlines, offset) + 1

    def run(self, path: Path) -> Script:
        text, pos = self.text, 0
        while True:
            match = _SPECIAL.search(text, pos)
            if match is None:
                self._keep(pos, len(text))
                break
            at, token = match.start(), match[0]
            self._keep(pos, at)
            pos = self._token(at, token)
        self._finish(len(text))
        return Script(path, text, tuple(self.statements), tuple(self.metas))

    def _keep(self, begin: int, end: int) -> None:
        """Add code as it stands; whitespace before a statement is dropped."""
        if begin >= end:
            return
        chunk = self.text[begin:end]
        if self.start < 0:
            stripped = chunk.lstrip()
            if not stripped:
                return
            begin += len(chunk) - len(stripped)
            chunk = stripped
            self.start = begin
        self.code.append(chunk)

    def _blank(self, begin: int, end: int, keep: str = "") -> None:
        """Add a skipped span as spaces (newlines kept), or `keep` at both ends."""
        if self.start < 0:
            self.start = begin
        inner = self.text[begin + len(keep) : end - len(keep)]
        blank = _NOT_NEWLINE.sub(" ", inner) if "\n" in inner else " " * len(inner)
        self.code.append(keep + blank + keep)

    def _token(self, at: int, token: str) -> int:
        text = self.text
        if token == "--":
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            if self.start >= 0:
                self._blank(at, end)
            return end
        if token == "/*":
            end = self._block_end(at)
            self._blank(at, end)
            return end
        if token == "'":
            escaped = at > 0 and text[at - 1] in "eE" and not self._word_before(at - 1)
            match = (_ESTRING if escaped else _STRING).match(text, at + 1)
            end = match.end() if match else len(text)
            self._blank(at, end, keep="'")
            return end
        if token == '"':
            match = _IDENT_END.match(text, at + 1)
            end = match.end() if match else len(text)
            self._keep(at, end)
            return end
        if token == "$":
            return self._dollar(at)
        if token == "\\":
            return self._meta(at)
        if token == ";":
            self._keep(at, at + 1)
            if self.depth <= 0 and not self._inside_routine_body():
                return self._finish(at + 1)
            return at + 1
        self.depth += 1 if token == "(" else -1
        self._keep(at, at + 1)
        return at + 1

    def _word_before(self, at: int) -> bool:
        return at > 0 and _WORD_CHAR.match(self.text, at - 1) is not None

    def _block_end(self, at: int) -> int:
        depth, pos = 0, at
        while match := _BLOCK.search(self.text, pos):
            depth += 1 if match[0] == "/*" else -1
            pos = match.end()
            if depth == 0:
                return pos
        return len(self.text)

    def _dollar(self, at: int) -> int:
        match = None if self._word_before(at) else _DOLLAR.match(self.text, at)
        if match is None:
            self._keep(at, at + 1)
            return at + 1
        tag = match[0]
        close = self.text.find(tag, match.end())
        end = len(self.text) if close < 0 else close + len(tag)
        self._blank(at, end)
        return end

    def _meta(self, at: int) -> int:
        match = _META.match(self.text, at)
        if match is None:  # a lone backslash at the end
            return at + 1
        name = match[1]
        self.metas.append(
            Meta(self.line_of(at), name, match[2], match.start(2), match.end(2))
        )
        if self.start >= 0:
            self._blank(at, match.end())
        if name in _SENDS and self.start >= 0:
            self._finish(match.end())
        if name == "copy" and _META_COPY_STDIN.match(match[2]):
            return self._skip_copy_data(match.end())
        return match.end()

    def _inside_routine_body(self) -> bool:
        """Tell whether a ``;`` lies inside ``BEGIN ATOMIC … END`` (psql's rule)."""
        code = "".join(self.code)
        if not _ROUTINE.match(code):
            return False
        depth = 0
        for word in _BLOCK_WORD.findall(code):
            depth += -1 if word.upper() == "END" else 1
        return depth > 0

    def _finish(self, end: int) -> int:
        """Close the current statement at `end`; skip ``COPY FROM stdin`` data."""
        if self.start < 0:
            return end
        code = "".join(self.code).rstrip()
        if code:
            stop = self.start + len(code)
            self.statements.append(
                Statement(
                    self.start, stop, self.line_of(self.start), self.line_of(stop), code
                )
            )
        self.code, self.start, self.depth = [], -1, 0
        if code and _COPY_STDIN.match(code):
            return self._skip_copy_data(end)
        return end

    def _skip_copy_data(self, pos: int) -> int:
        r"""Return the offset past the ``\.`` line ending inline COPY data."""
        text = self.text
        eol = text.find("\n", pos)
        if eol < 0:
            return len(text)
        match = _END_OF_DATA.search(text, eol + 1)
        if match is None:
            return len(text)
        return match.end()


def include_target(meta: Meta, script: Path, cwd: Path) -> Path | None:
    r"""Return the file an ``\i``/``\ir`` meta-command reads, if it can be told."""
    if meta.name not in INCLUDES:
        return None
    argument = meta.argument.strip()
    if argument.startswith("'"):
        end = argument.find("'", 1)
        while end > 0 and argument[end : end + 2] == "''":
            end = argument.find("'", end + 2)
        if end < 0:
            return None
        name = argument[1:end].replace("''", "'")
    else:
        name = argument.split(maxsplit=1)[0] if argument else ""
    if not name or name.startswith(":") or "`" in name:
        return None
    base = script.parent if meta.name in _RELATIVE else cwd
    return base / name


def _unquote(name: str) -> str:
    if name.startswith('"'):
        return name[1:-1].replace('""', '"')
    return name.lower()


def mentioned_roles(script: Script) -> list[str]:
    """Return the role names `script` needs to exist, in order of mention.

    Roles given ``OWNER TO``, ``GRANT … TO``, ``REVOKE … FROM``, ``SET ROLE``,
    ``AUTHORIZATION``, ``FOR ROLE`` and ``CREATE POLICY … TO``; not the special
    names (``PUBLIC``, ``CURRENT_USER``…) nor reserved ``pg_`` names.
    """
    found: dict[str, None] = {}
    for statement in script.statements:
        for pattern in _ROLE_PATTERNS:
            for match in pattern.finditer(statement.code):
                for item in _ONE_NAME.finditer(match[1]):
                    name = _unquote(item[1])
                    if name.lower() in _NOT_ROLES or name.startswith("pg_"):
                        continue
                    found[name] = None
    return list(found)


def creates_roles(script: Script) -> set[str]:
    """Return the roles `script` creates itself with a top-level statement."""
    return {
        _unquote(match[1])
        for statement in script.statements
        if (match := _CREATE_ROLE.match(statement.code))
    }


def icu_collations(script: Script) -> list[tuple[int, int, str]]:
    """Return ``(start, end, replacement)`` edits that load ICU collations as libc.

    ``CREATE COLLATION`` with ``provider = icu`` gets the options
    ``(provider = libc, locale = 'C')``; one copied ``FROM "…-x-icu"`` is made
    ``FROM "C"``; ``COLLATE "…-x-icu"`` becomes ``COLLATE "C"``. Line breaks
    are kept, so line numbers stay those of the original.
    """
    edits: list[tuple[int, int, str]] = []
    text = script.text
    for statement in script.statements:
        original = text[statement.start : statement.end]
        if _COLLATION.match(statement.code):
            if _ICU_PROVIDER.search(original):
                edits.append(_libc_options(statement, original))
                continue
            match = _ICU_FROM.search(original)
            if match:
                edits.append(
                    (
                        statement.start + match.start(),
                        statement.start + match.end(),
                        'FROM "C"',
                    )
                )
                continue
        for match in _ICU_COLLATE.finditer(statement.code):
            edits.append(
                (
                    statement.start + match.start(),
                    statement.start + match.end(),
                    'COLLATE "C"',
                )
            )
    return edits


def _libc_options(statement: Statement, original: str) -> tuple[int, int, str]:
    """Replace the parenthesised options of a ``CREATE COLLATION``."""
    opening = statement.code.index("(")
    closing = statement.code.rindex(")")
    breaks = original.count("\n", opening, closing)
    replacement = "(provider = libc, locale = 'C'" + "\n" * breaks + ")"
    return statement.start + opening, statement.start + closing + 1, replacement
