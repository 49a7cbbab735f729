"""Naming conventions other than PostgreSQL's own: templates with tokens.

Stage: naming (pure). A :class:`Template` convention names some kinds of
objects from a template such as SQLAlchemy's ``"fk_%(table_name)s_%(column_0_name)s"``;
kinds it does not name keep PostgreSQL's defaults (sequences, NOT NULL, …).
:func:`sqlalchemy` builds one from a ``MetaData(naming_convention=…)`` dict and
:data:`RAILS` is Rails' ``index_<table>_on_<columns>`` index names.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind

__all__ = ["RAILS", "Names", "Template", "convention_for", "sqlalchemy"]

_TOKEN = re.compile(r"%\((\w+)\)s")
_COLUMN = re.compile(
    r"^(?P<ref>referred_)?column_(?:(?P<n>\d+)|0(?P<multi>_?N))_(?P<attr>name|key|label)$"
)
_KEYS = {
    "ix": Kind.INDEX,
    "uq": Kind.UNIQUE,
    "ck": Kind.CHECK,
    "fk": Kind.FKEY,
    "pk": Kind.PKEY,
}
_SIMPLE = {"table_name", "referred_table_name", "constraint_name"}
# SQLAlchemy cuts names longer than the dialect's limit (63 for PostgreSQL) to
# ``name[:55] + "_" + md5(name)[-4:]``, counting characters, not bytes.
_SA_LIMIT = 63
# Placeholders for table names inside other tokens (labels) when reading a name.
_TABLE, _REFERRED = "\0T\0", "\0R\0"


@dataclass(frozen=True, slots=True)
class Names:
    """What a template is filled with, for one object."""

    table: str
    columns: tuple[str, ...] = ()
    referred: str = ""
    referred_columns: tuple[str, ...] = ()
    constraint_name: str = ""


def _token(token: str, names: Names, table: str, referred: str) -> str:
    """Return the value of one token; *table*/*referred* may be regex groups."""
    if token == "table_name":
        return table
    if token == "referred_table_name":
        return referred
    if token == "constraint_name":
        return names.constraint_name
    if token == "columns_and":
        return "_and_".join(names.columns)
    if token == "rails_fk_hash":  # ForeignKeyDefinition#default_name in Rails
        column = names.columns[0] if names.columns else ""
        digest = hashlib.sha256(f"{table}_{column}_fk".encode())
        return digest.hexdigest()[:10]
    match = _COLUMN.match(token)
    assert match is not None  # checked when the template was made
    columns = names.referred_columns if match["ref"] else names.columns
    owner = referred if match["ref"] else table
    values = [f"{owner}_{c}" if match["attr"] == "label" else c for c in columns]
    if match["multi"] is not None:
        return ("_" if match["multi"].startswith("_") else "").join(values)
    index = int(match["n"])
    return values[index] if index < len(values) else ""


@dataclass(frozen=True, slots=True)
class Template:
    """A naming convention: a template per kind, and how long names are cut."""

    name: str
    templates: Mapping[Kind, str]
    truncate: bool = True

    def covers(self, kind: Kind) -> bool:
        """Tell whether this convention names objects of *kind*."""
        return kind in self.templates

    def render(self, kind: Kind, names: Names) -> str:
        """Return the name the convention gives an object of *kind*."""
        text = _TOKEN.sub(
            lambda m: _token(m[1], names, names.table, names.referred),
            self.templates[kind],
        )
        if self.truncate and len(text) > _SA_LIMIT:
            digest = hashlib.md5(text.encode("utf-8"), usedforsecurity=False)
            text = text[: _SA_LIMIT - 8] + "_" + digest.hexdigest()[-4:]
        return text

    def fit(
        self,
        kind: Kind,
        name: str,
        names: Names,
        *,
        table: str | None = None,
        referred: str | None = None,
    ) -> tuple[str, str, str] | None:
        """Read *name* as this kind's template filled with *names*.

        The owning and referred table names are taken as given, or read from
        *name* when ``None``; ``constraint_name`` is always read.

        :returns: ``(table, referred table, constraint name)`` as they appear in
            *name*, or ``None`` if it does not fit.
        """
        groups: set[str] = set()
        fixed = {"table": table, "referred": referred}

        def group(which: str) -> str:
            value = fixed.get(which)
            return re.escape(value) if value is not None else _group(which, groups)

        def piece(token: str) -> str:
            if token == "constraint_name":
                return _group("constraint", groups)
            if token == "table_name":
                return group("table")
            if token == "referred_table_name":
                return group("referred")
            out = re.escape(_token(token, names, _TABLE, _REFERRED))
            for placeholder, which in ((_TABLE, "table"), (_REFERRED, "referred")):
                escaped = re.escape(placeholder)
                while escaped in out:
                    out = out.replace(escaped, group(which), 1)
            return out

        parts = _TOKEN.split(self.templates[kind])
        regex = "".join(
            re.escape(text) if n % 2 == 0 else piece(text)
            for n, text in enumerate(parts)
        )
        match = re.fullmatch(regex, name, re.S)
        if match is None:
            return None
        found = match.groupdict()
        return (
            found.get("table") or (table if table is not None else names.table),
            found.get("referred")
            or (referred if referred is not None else names.referred),
            found.get("constraint") or "",
        )


def _group(name: str, seen: set[str]) -> str:
    """Return a named group the first time, a back reference afterwards."""
    if name in seen:
        return f"(?P={name})"
    seen.add(name)
    return f"(?P<{name}>.+?)"


def _check(template: str, where: str) -> None:
    for token in _TOKEN.findall(template):
        if token not in _SIMPLE and not _COLUMN.match(token):
            raise SeqcheckError(
                f"{where}: unknown token %({token})s",
                "use table_name, column_0_name, column_0_N_name, column_0_label,"
                " referred_table_name, referred_column_0_name or constraint_name",
            )


def sqlalchemy(
    convention: Mapping[str, str], where: str = "naming_convention"
) -> Template:
    """Return SQLAlchemy's ``MetaData(naming_convention=…)`` as a convention.

    Keys are ``ix``, ``uq``, ``ck``, ``fk`` and ``pk``; values the same templates
    SQLAlchemy takes. Callables cannot be given in a config file.
    """
    templates: dict[Kind, str] = {}
    for key, template in convention.items():
        if key not in _KEYS:
            raise SeqcheckError(
                f"{where}: unknown key {key!r}", "use ix, uq, ck, fk or pk"
            )
        if not isinstance(template, str):
            raise SeqcheckError(f"{where}.{key}: a template must be a string")
        _check(template, f"{where}.{key}")
        templates[_KEYS[key]] = template
    return Template("sqlalchemy", templates)


#: Rails' default names: ``index_<table>_on_<a>_and_<b>`` (``add_index``) and
#: ``fk_rails_<sha256("<table>_<column>_fk")[:10]>`` (``add_foreign_key``).
RAILS = Template(
    "rails",
    {
        Kind.INDEX: "index_%(table_name)s_on_%(columns_and)s",
        Kind.FKEY: "fk_rails_%(rails_fk_hash)s",
    },
    truncate=False,
)


def convention_for(
    name: str, templates: Mapping[str, str] | None = None
) -> Template | None:
    """Return the convention called *name* (``None`` for PostgreSQL's defaults)."""
    if name == "postgres":
        return None
    if name == "rails":
        return RAILS
    if name == "sqlalchemy":
        return sqlalchemy(templates or {})
    raise SeqcheckError(
        f"unknown naming convention {name!r}", "use postgres, sqlalchemy or rails"
    )
