"""PostgreSQL's default-name rules, as pure functions (NAMING.md §1–4).

Stage: naming. Imports nothing from seqcheck but itself; never talks to a server.

Every length is counted in bytes of the *server* encoding. Names are handled as
``str``; in a SQL_ASCII database they are the raw bytes decoded as UTF-8 with
``surrogateescape``, so a cut that splits a character survives the round trip.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

__all__ = [
    "MAX_NAME",
    "UTF8",
    "Encoding",
    "NameRule",
    "Parsed",
    "build",
    "choose",
    "choose_number",
    "encoding_for",
    "fits_with_suffix",
    "index_column_names",
    "join_names",
    "name_bytes",
    "split_label",
]

#: NAMEDATALEN - 1: the longest name PostgreSQL stores, in bytes.
MAX_NAME = 63

# PostgreSQL server encodings whose Python codec has a different name.
_CODECS = {
    "UTF8": "utf-8",
    "SQL_ASCII": "utf-8",
    "LATIN1": "latin-1",
    "LATIN2": "iso8859-2",
    "LATIN3": "iso8859-3",
    "LATIN4": "iso8859-4",
    "LATIN5": "iso8859-9",
    "LATIN6": "iso8859-10",
    "LATIN7": "iso8859-13",
    "LATIN8": "iso8859-14",
    "LATIN9": "iso8859-15",
    "LATIN10": "iso8859-16",
    "ISO_8859_5": "iso8859-5",
    "ISO_8859_6": "iso8859-6",
    "ISO_8859_7": "iso8859-7",
    "ISO_8859_8": "iso8859-8",
    "KOI8R": "koi8-r",
    "KOI8U": "koi8-u",
    "WIN866": "cp866",
    "WIN874": "cp874",
    "WIN1250": "cp1250",
    "WIN1251": "cp1251",
    "WIN1252": "cp1252",
    "WIN1253": "cp1253",
    "WIN1254": "cp1254",
    "WIN1255": "cp1255",
    "WIN1256": "cp1256",
    "WIN1257": "cp1257",
    "WIN1258": "cp1258",
    "EUC_JP": "euc_jp",
    "EUC_JIS_2004": "euc_jis_2004",
    "EUC_CN": "gb2312",
    "EUC_KR": "euc_kr",
    "EUC_TW": "big5",
}


@dataclass(frozen=True, slots=True, eq=False)
class Encoding:
    """A server encoding: how names turn into bytes and where they may be cut.

    :param name: the server's name for it (``UTF8``, ``SQL_ASCII``, ``LATIN1``…).
    :param codec: the Python codec.
    :param bytewise: cut at any byte (SQL_ASCII), not at character boundaries.
    """

    name: str
    codec: str
    bytewise: bool = False

    def encode(self, text: str) -> bytes:
        """Return *text* as the server stores it."""
        return text.encode(self.codec, "surrogateescape")

    def decode(self, raw: bytes) -> str:
        """Return the ``str`` form of stored bytes *raw*."""
        return raw.decode(self.codec, "surrogateescape")

    def cut(self, text: str, limit: int) -> str:
        """Return the longest prefix of *text* of at most *limit* bytes.

        The cut falls on a character boundary, except in SQL_ASCII.
        """
        raw = self.encode(text)
        if len(raw) <= limit:
            return text
        if self.bytewise:
            return self.decode(raw[:limit])
        if self.codec == "utf-8":
            return raw[:limit].decode("utf-8", "ignore")
        size = 0
        for count, char in enumerate(text):
            size += len(self.encode(char))
            if size > limit:
                return text[:count]
        return text  # pragma: no cover - the loop always returns


UTF8 = Encoding("UTF8", "utf-8")


@cache
def encoding_for(server_encoding: str) -> Encoding:
    """Return the :class:`Encoding` for a ``server_encoding`` setting."""
    key = server_encoding.upper()
    if key == UTF8.name:
        return UTF8
    codec = _CODECS.get(key)
    if codec is None:
        try:
            codec = codecs.lookup(key.lower()).name
        except LookupError:
            codec = "utf-8"
    return Encoding(key, codec, bytewise=key == "SQL_ASCII")


def name_bytes(name: str, enc: Encoding = UTF8) -> int:
    """Return the length of *name* in bytes of *enc*."""
    return len(enc.encode(name))


def build(name1: str, name2: str | None, label: str, enc: Encoding = UTF8) -> str:
    """Build a default name the way ``makeObjectName`` does (NAMING.md §1).

    :param name1: the owner (table, domain, or parent constraint).
    :param name2: the middle part (columns joined with ``_``), or ``None``.
    :param label: the suffix word, collision digits included (``pkey1``).
    """
    return _build(name1, name2, label, enc)


@lru_cache(maxsize=65536)
def _build(name1: str, name2: str | None, label: str, enc: Encoding) -> str:
    len1 = len(enc.encode(name1))
    len2 = len(enc.encode(name2)) if name2 is not None else 0
    budget = MAX_NAME - len(label) - 1 - (1 if name2 is not None else 0)
    excess = len1 + len2 - budget
    if excess > 0:  # the closed form of "cut the longer one, name2 on a tie"
        if len1 - len2 >= excess:
            len1 -= excess
        elif len2 - len1 >= excess:
            len2 -= excess
        else:
            len1, len2 = (budget + 1) // 2, budget // 2
        name1 = enc.cut(name1, len1)
        if name2 is not None:
            name2 = enc.cut(name2, len2)
    if name2 is None:
        return f"{name1}_{label}"
    return f"{name1}_{name2}_{label}"


def is_whole(name: str, name1: str, name2: str | None, label: str) -> bool:
    """Tell whether *name* is ``name1_name2_label`` (``name1_label``), uncut.

    Then it is also :func:`build`'s name: it fits in NAMEDATALEN (it is a
    name), so ``makeObjectName`` would not have cut it.
    """
    if name2 is None:
        return name == f"{name1}_{label}"
    return name == f"{name1}_{name2}_{label}"


def choose(
    name1: str,
    name2: str | None,
    label: str,
    taken: Callable[[str], bool],
    enc: Encoding = UTF8,
) -> str:
    """Choose a free name the way ``ChooseRelationName`` does (NAMING.md §3).

    Tries ``label``, then ``label1``, ``label2``… until *taken* says no.
    """
    return choose_number(name1, name2, label, taken, enc)[0]


class NameRule(NamedTuple):
    """A name PostgreSQL numbers: the first free ``build(name1, name2, label + N)``.

    N counts from *first*; 0 is the bare label (:func:`choose_number`).
    """

    name1: str
    name2: str | None
    label: str
    first: int


def choose_number(
    name1: str,
    name2: str | None,
    label: str,
    taken: Callable[[str], bool],
    enc: Encoding = UTF8,
    *,
    first: int = 0,
) -> tuple[str, int]:
    """Like :func:`choose`, from number *first* on; return the name and its number.

    Number 0 is the bare *label*. PostgreSQL 18 numbers a referenced
    partition's row ``<name>_1``, ``<name>_2``…: *label* ``""``, *first* 1.
    """
    number = first
    candidate = build(name1, name2, f"{label}{number or ''}", enc)
    while taken(candidate):
        number += 1
        candidate = build(name1, name2, f"{label}{number}", enc)
    return candidate, number


def join_names(names: Iterable[str]) -> str:
    """Join column names into a middle part (NAMING.md §2.1)."""
    return "_".join(names)


def index_column_names(bases: Sequence[str], enc: Encoding = UTF8) -> tuple[str, ...]:
    """Make index column names unique, left to right (NAMING.md §2.2 step 2)."""
    chosen: list[str] = []
    for base in bases:
        name = base
        number = 0
        while name in chosen:
            number += 1
            suffix = str(number)
            name = enc.cut(base, MAX_NAME - len(suffix)) + suffix
        chosen.append(name)
    return tuple(chosen)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A name split at its label: ``<body>_<label><digits>``.

    :param body: everything before ``_<label>``.
    :param digits: the collision number as written (``""`` for none).
    """

    body: str
    digits: str


@lru_cache(maxsize=64)
def _label_pattern(label: str) -> re.Pattern[str]:
    return re.compile(
        rf"^(?P<body>.*)_{re.escape(label)}(?P<digits>[1-9][0-9]*)?$", re.S
    )


def split_label(name: str, label: str) -> Parsed | None:
    """Split *name* into body and collision digits if it ends in ``_<label>[N]``."""
    match = _label_pattern(label).match(name)
    if match is None:
        return None
    return Parsed(match["body"], match["digits"] or "")


def fits_with_suffix(
    name: str, name1: str, name2: str | None, label: str, enc: Encoding = UTF8
) -> bool:
    """Tell whether *name* is ``build(name1, name2, label + N)`` for some N ≥ 0."""
    parsed = split_label(name, label)
    if parsed is None:
        return False
    return build(name1, name2, label + parsed.digits, enc) == name
