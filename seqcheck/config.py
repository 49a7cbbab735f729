"""Config: ``[tool.seqcheck]`` in ``pyproject.toml``, or a ``seqcheck.toml``.

Stage: read by the CLI before a scan; pure apart from reading the file.
Imports findings and drift types, never a connection or typer.

The file is found by walking up from the working directory: in each
directory a ``seqcheck.toml`` (keys at the top level) wins over a
``pyproject.toml`` with a ``[tool.seqcheck]`` table; a ``pyproject.toml``
without one is passed over. ``--config FILE`` names the file instead (a file
named ``pyproject.toml`` is read from its ``[tool.seqcheck]`` table).

Keys::

    schemas = ["public", "app_*"]          # globs, as --schema
    exclude_schemas = ["audit"]            # as --exclude-schema
    tables = ["orders*"]                   # as --table (NAME or SCHEMA.NAME)
    exclude_tables = ["tmp_*"]             # as --exclude-table
    kinds = ["sequence", "pkey"]           # as --kind
    strict = false                         # as --strict / --no-strict
    min_confidence = "likely"              # as --min-confidence
    lock_timeout = "2s"                    # as fix --lock-timeout
    convention = "postgres"                # "sqlalchemy" (naming_convention), "rails"
    naming_convention = {ix = "ix_%(column_0_label)s", pk = "pk_%(table_name)s"}
    ignore = [{object = "public.legacy_pkey", reason = "kept for the ETL job"}]
    alembic = {threshold = 50}             # the Alembic plugin (seqcheck.alembic)

An option given on the command line wins over the file. An unknown key or a
bad value is a :class:`~seqcheck.errors.SeqcheckError` naming the file and key.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from seqcheck.alembic.settings import Settings as AlembicSettings
from seqcheck.alembic.settings import parse as parse_alembic
from seqcheck.conventions import Template, convention_for, sqlalchemy
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind, Tier

if TYPE_CHECKING:
    from collections.abc import Collection

    from seqcheck.drift import Scope
    from seqcheck.findings import Finding

__all__ = ["Config", "Ignore", "duration_ms", "find_config", "load_config"]

PYPROJECT = "pyproject.toml"
OWN_FILE = "seqcheck.toml"
CONVENTIONS = ("postgres", "sqlalchemy", "rails")

_LISTS = ("schemas", "exclude_schemas", "tables", "exclude_tables")
_KEYS = (
    *_LISTS,
    "kinds",
    "strict",
    "min_confidence",
    "lock_timeout",
    "convention",
    "naming_convention",
    "ignore",
    "alembic",
)
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*", re.I)
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000}
_E = TypeVar("_E", Kind, Tier)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Ignore:
    """An ignore entry: findings on *object* (``schema.name``) are dropped."""

    object: str
    reason: str


@dataclass(frozen=True, slots=True)
class Config:
    """The settings read from a file; ``None`` means the file does not set it.

    :param path: the file read, or ``None`` when there is none.
    """

    path: Path | None = None
    schemas: tuple[str, ...] | None = None
    exclude_schemas: tuple[str, ...] | None = None
    tables: tuple[str, ...] | None = None
    exclude_tables: tuple[str, ...] | None = None
    kinds: frozenset[Kind] | None = None
    strict: bool | None = None
    min_confidence: Tier | None = None
    lock_timeout: str | None = None
    convention: str = "postgres"
    ignore: tuple[Ignore, ...] = ()
    naming: Template | None = None
    alembic: AlembicSettings = field(default_factory=AlembicSettings)
    _ignored: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_ignored", frozenset(i.object for i in self.ignore))

    def scope(self, given: Scope, explicit: Collection[str]) -> Scope:
        """Return *given* with every field not in *explicit* taken from the file.

        :param given: the scope the command line built (its defaults included).
        :param explicit: the :class:`~seqcheck.drift.Scope` fields set on the
            command line (``schemas``, ``strict``, …): those win.
        """

        def pick(name: str, ours: _T | None, theirs: _T) -> _T:
            return theirs if name in explicit or ours is None else ours

        return replace(
            given,
            schemas=pick("schemas", self.schemas, given.schemas),
            exclude_schemas=pick(
                "exclude_schemas", self.exclude_schemas, given.exclude_schemas
            ),
            tables=pick("tables", self.tables, given.tables),
            exclude_tables=pick(
                "exclude_tables", self.exclude_tables, given.exclude_tables
            ),
            kinds=pick("kinds", self.kinds, given.kinds),
            convention=pick("convention", self.naming, given.convention),
            strict=pick("strict", self.strict, given.strict),
            min_confidence=pick(
                "min_confidence", self.min_confidence, given.min_confidence
            ),
        )

    def ignores(self, finding: Finding) -> bool:
        """Tell whether an ignore entry drops *finding* (``schema.name`` matches)."""
        return bool(self._ignored) and f"{finding.schema}.{finding.name}" in (
            self._ignored
        )


def duration_ms(text: str) -> int | None:
    """Return a duration (``2s``, ``500ms``, ``1.5``: seconds) in ms, else ``None``."""
    match = _DURATION.fullmatch(text)
    if match is None:
        return None
    return round(float(match[1]) * _UNIT_MS[(match[2] or "s").lower()])


def find_config(start: Path) -> Path | None:
    """Return the config file that applies in *start*, walking up, or ``None``."""
    for directory in (start, *start.parents):
        own = directory / OWN_FILE
        if own.is_file():
            return own
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Read the config at *path*, else the one found from *start* (the cwd).

    :raises SeqcheckError: the file cannot be read, is not TOML, or holds an
        unknown key or a bad value (the message names the file and the key).
    """
    if path is None:
        path = find_config(start or Path.cwd())
        if path is None:
            return Config()
    elif not path.is_file():
        raise SeqcheckError(f"config file {path} not found", "check --config")
    data = _read(path)
    where = f"{path}: [tool.seqcheck]" if path.name == PYPROJECT else str(path)
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        data = tool.get("seqcheck", {}) if isinstance(tool, dict) else {}
        if not isinstance(data, dict):
            raise SeqcheckError(f"{where} is not a table")
    return _parse(path, where, data)


def _has_tool_table(path: Path) -> bool:
    tool = _read(path).get("tool")
    return isinstance(tool, dict) and "seqcheck" in tool


def _read(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise SeqcheckError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise SeqcheckError(f"cannot read {path}: {exc.strerror or exc}") from None


def _parse(path: Path, where: str, data: dict[str, object]) -> Config:
    for key in data:
        if key not in _KEYS:
            close = difflib.get_close_matches(key, _KEYS, n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"known: {', '.join(_KEYS)}"
            )
            raise SeqcheckError(f"{where}: unknown key {key!r}", hint)
    lists = {k: _strings(where, k, data[k]) if k in data else None for k in _LISTS}
    kinds = None
    if "kinds" in data:
        names = _strings(where, "kinds", data["kinds"])
        kinds = frozenset(_choice(where, "kinds", n, Kind) for n in names)
    convention, naming = _convention(where, data)
    strict = data.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise SeqcheckError(f"{where}: 'strict' must be true or false")
    confidence = None
    if "min_confidence" in data:
        value = data["min_confidence"]
        if value not in (Tier.CERTAIN.value, Tier.LIKELY.value):
            raise SeqcheckError(
                f"{where}: 'min_confidence' {value!r} is not one of certain, likely"
            )
        confidence = Tier(value)
    return Config(
        path,
        schemas=lists["schemas"],
        exclude_schemas=lists["exclude_schemas"],
        tables=lists["tables"],
        exclude_tables=lists["exclude_tables"],
        kinds=kinds,
        strict=strict,
        min_confidence=confidence,
        lock_timeout=(
            _timeout(where, data["lock_timeout"]) if "lock_timeout" in data else None
        ),
        convention=convention,
        ignore=_ignores(where, data["ignore"]) if "ignore" in data else (),
        naming=naming,
        alembic=(
            parse_alembic(f"{where}: alembic", data["alembic"])
            if "alembic" in data
            else AlembicSettings()
        ),
    )


def _strings(where: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SeqcheckError(
            f"{where}: {key!r} must be a list of strings", f'e.g. {key} = ["public"]'
        )
    return tuple(value)


def _choice(where: str, key: str, value: object, enum: type[_E]) -> _E:
    choices = ", ".join(e.value for e in enum)
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    raise SeqcheckError(f"{where}: {key!r}: {value!r} is not one of {choices}")


def _timeout(where: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SeqcheckError(
            f"{where}: 'lock_timeout' must be a duration", 'e.g. "2s" or "500ms"'
        )
    text = str(value)
    if duration_ms(text) is None:
        raise SeqcheckError(
            f"{where}: 'lock_timeout' {text!r} is not a duration",
            'e.g. "2s" or "500ms"',
        )
    return text


def _convention(where: str, data: dict[str, object]) -> tuple[str, Template | None]:
    """Return the convention's name and templates (``naming_convention`` implies
    ``sqlalchemy``)."""
    templates = data.get("naming_convention")
    value = data.get(
        "convention", "sqlalchemy" if templates is not None else "postgres"
    )
    if value not in CONVENTIONS:
        raise SeqcheckError(
            f"{where}: 'convention' {value!r} is unknown",
            "use postgres, sqlalchemy or rails",
        )
    name = str(value)
    if templates is not None and name != "sqlalchemy":
        raise SeqcheckError(
            f"{where}: 'naming_convention' goes with convention = \"sqlalchemy\""
        )
    if name == "sqlalchemy":
        if not isinstance(templates, dict) or not templates:
            raise SeqcheckError(
                f"{where}: convention \"sqlalchemy\" needs a 'naming_convention' table",
                "the dict given to MetaData(naming_convention=...), e.g."
                ' naming_convention = {pk = "pk_%(table_name)s"}',
            )
        return name, sqlalchemy(templates, f"{where}: naming_convention")
    return name, convention_for(name)


def _ignores(where: str, value: object) -> tuple[Ignore, ...]:
    if not isinstance(value, list):
        raise SeqcheckError(
            f"{where}: 'ignore' must be a list of tables",
            'e.g. ignore = [{object = "public.old_pkey", reason = "…"}]',
        )
    entries: list[Ignore] = []
    for number, item in enumerate(value):
        at = f"{where}: ignore[{number}]"
        if not isinstance(item, dict):
            raise SeqcheckError(f"{at} must be a table with object and reason")
        unknown = sorted(set(item) - {"object", "reason"})
        if unknown:
            raise SeqcheckError(f"{at}: unknown key {unknown[0]!r}")
        obj, reason = item.get("object"), item.get("reason")
        if not isinstance(obj, str) or "." not in obj:
            raise SeqcheckError(
                f"{at}: 'object' must be \"schema.name\"", 'e.g. "public.old_pkey"'
            )
        if not isinstance(reason, str) or not reason.strip():
            raise SeqcheckError(f"{at}: 'reason' must say why (a non-empty string)")
        entries.append(Ignore(obj, reason))
    return tuple(entries)
