"""Settings of the Alembic plugin: ``[tool.seqcheck.alembic]`` in the config file.

Stage: config (pure apart from reading the file). Imports only the standard
library and :mod:`seqcheck.errors`, so :mod:`seqcheck.config` can validate the
table with :func:`parse` without importing Alembic.

Keys::

    [tool.seqcheck.alembic]
    threshold = 50            # percent: pairs at least this similar are renames
    off = false               # true: autogenerate as if the plugin were not there
    ask = "auto"              # "auto": ask on a terminal; "never": decide alone

    [tool.seqcheck.alembic.tables]
    "audit_*" = { off = true }          # never pair these (old or new name)
    "orders" = { threshold = 80 }       # a stricter threshold for these

Table keys are globs matched against ``name`` and ``schema.name``, old or new;
the first matching key wins.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from seqcheck.errors import SeqcheckError

__all__ = [
    "DEFAULT_THRESHOLD",
    "Settings",
    "TableSettings",
    "load_settings",
    "parse",
]

DEFAULT_THRESHOLD = 50
_KEYS = ("threshold", "off", "ask", "tables")
_ASK = ("auto", "never")


@dataclass(frozen=True, slots=True)
class TableSettings:
    """Overrides for the tables a glob matches; ``None`` keeps the default."""

    pattern: str
    threshold: int | None = None
    off: bool | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """How rename detection behaves (see the module docstring for the keys)."""

    threshold: int = DEFAULT_THRESHOLD
    off: bool = False
    ask: str = "auto"
    tables: tuple[TableSettings, ...] = ()

    def _override(self, schema: str | None, names: tuple[str, ...]) -> TableSettings:
        for entry in self.tables:
            for name in names:
                both = (name, f"{schema}.{name}") if schema else (name,)
                if any(fnmatch.fnmatchcase(n, entry.pattern) for n in both):
                    return entry
        return TableSettings("")

    def threshold_for(self, schema: str | None, *names: str) -> int:
        """Return the threshold for a pair of tables (or a table's columns)."""
        found = self._override(schema, names).threshold
        return self.threshold if found is None else found

    def off_for(self, schema: str | None, *names: str) -> bool:
        """Tell whether detection is off for these tables."""
        found = self._override(schema, names).off
        return self.off if found is None else found


def parse(where: str, data: object) -> Settings:
    """Return the settings in *data* (the ``alembic`` table).

    :raises SeqcheckError: an unknown key or a bad value, naming *where*.
    """
    if not isinstance(data, dict):
        raise SeqcheckError(f"{where} must be a table", "e.g. [tool.seqcheck.alembic]")
    for key in data:
        if key not in _KEYS:
            raise SeqcheckError(
                f"{where}: unknown key {key!r}", f"known: {', '.join(_KEYS)}"
            )
    ask = data.get("ask", "auto")
    if ask not in _ASK:
        raise SeqcheckError(f"{where}: 'ask' {ask!r} is not one of auto, never")
    tables = data.get("tables", {})
    if not isinstance(tables, dict):
        raise SeqcheckError(
            f"{where}: 'tables' must be a table of globs",
            'e.g. tables = { "audit_*" = { off = true } }',
        )
    entries = []
    for pattern, entry in tables.items():
        at = f"{where}.tables.{pattern}"
        if not isinstance(entry, dict):
            raise SeqcheckError(f"{at} must be a table with threshold and/or off")
        unknown = sorted(set(entry) - {"threshold", "off"})
        if unknown:
            raise SeqcheckError(f"{at}: unknown key {unknown[0]!r}")
        entries.append(
            TableSettings(
                pattern,
                _threshold(at, entry["threshold"]) if "threshold" in entry else None,
                _flag(at, "off", entry["off"]) if "off" in entry else None,
            )
        )
    return Settings(
        threshold=(
            _threshold(where, data["threshold"])
            if "threshold" in data
            else DEFAULT_THRESHOLD
        ),
        off=_flag(where, "off", data["off"]) if "off" in data else False,
        ask=str(ask),
        tables=tuple(entries),
    )


def _threshold(where: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100:
        raise SeqcheckError(
            f"{where}: 'threshold' must be a percentage from 1 to 100", "e.g. 50"
        )
    return value


def _flag(where: str, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise SeqcheckError(f"{where}: {key!r} must be true or false")
    return value


def load_settings(start: Path | None = None) -> Settings:
    """Return the settings in the config file that applies in *start* (the cwd).

    The file is found as ``seqcheck scan`` finds it (``seqcheck.toml`` or a
    ``pyproject.toml`` with ``[tool.seqcheck]``, walking up); no file, or one
    without an ``alembic`` table, gives the defaults.

    :raises SeqcheckError: the file is malformed (any key, not only these).
    """
    from seqcheck.config import load_config

    return load_config(start=start or Path.cwd()).alembic
