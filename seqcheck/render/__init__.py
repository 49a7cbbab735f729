"""Renderers: one module per output format, all pure, all ``(Report) -> str``.

Each format but ``alembic`` also has ``several(Databases) -> str``, for a
scan of several databases (:data:`SEVERAL`).

Stage: render. A renderer never queries, never executes and never decides an
exit code; its output is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import TypeVar, cast

from seqcheck.render.report import Database, Databases, Report

__all__ = ["FORMATS", "SEVERAL", "Database", "Databases", "Report"]

_In = TypeVar("_In", Report, Databases)


class _Renderers(Mapping[str, Callable[[_In], str]]):
    """The renderers by format name: function *function* of the module of the
    format's name, imported on first use (a scan loads only its own format).
    """

    def __init__(self, function: str, names: tuple[str, ...]) -> None:
        self._function = function
        self._names = names

    def __getitem__(self, name: str) -> Callable[[_In], str]:
        if name not in self._names:
            raise KeyError(name)
        module = import_module(f"{__name__}.{name}")
        return cast("Callable[[_In], str]", getattr(module, self._function))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


#: Output formats by ``--format`` name; the first is the default.
FORMATS: Mapping[str, Callable[[Report], str]] = _Renderers[Report](
    "render", ("table", "json", "sql", "github", "junit", "sarif", "alembic")
)

#: The formats of a scan of several databases, by ``--format`` name.
SEVERAL: Mapping[str, Callable[[Databases], str]] = _Renderers[Databases](
    "several", ("table", "json", "sql", "github", "junit", "sarif")
)
