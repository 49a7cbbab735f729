"""The command line: parse options, run the pipeline, map results to exit codes.

Stage: the CLI, the only module that writes to the terminal and the only one
with exit codes (DESIGN.md, "CLI contract"): 0 clean, 1 drift in a reported
tier, 2 for every error. Errors, usage errors included, are one line on stderr:
``seqcheck: error: <what> (<hint>)``; tracebacks only with ``--debug``.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import sys
import time
import traceback
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from seqcheck import __version__
from seqcheck.catalog import read_catalog, read_server_info
from seqcheck.connect import connect, resolve_dsn, snapshot
from seqcheck.drift import Scope, find_drift
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind, Tier
from seqcheck.plan import make_plan
from seqcheck.render import FORMATS, Report

if TYPE_CHECKING:
    from collections.abc import Sequence

    from seqcheck.catalog import Catalog
    from seqcheck.drift import Drift
    from seqcheck.plan import Plan

__all__ = ["app", "main"]

PROG = "seqcheck"
EXIT_CLEAN, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*", re.I)
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

app = typer.Typer(
    name=PROG,
    help="Find sequence, index and constraint names that drifted after renames.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


log = logging.getLogger("seqcheck.cli")


class Format(StrEnum):
    """The ``--format`` values (keys of :data:`seqcheck.render.FORMATS`)."""

    TABLE = "table"
    JSON = "json"
    SQL = "sql"


class Confidence(StrEnum):
    """The ``--min-confidence`` values."""

    CERTAIN = "certain"
    LIKELY = "likely"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG} {__version__}")
        raise typer.Exit(EXIT_CLEAN)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Find sequence, index and constraint names that drifted after renames."""
    del version


@app.command()
def scan(
    dsn: Annotated[
        str | None,
        typer.Argument(
            help="postgresql://… or 'host=… dbname=…'; default $DATABASE_URL,"
            " else libpq's PGHOST, PGDATABASE, PGSERVICE…",
            show_default=False,
        ),
    ] = None,
    *,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.TABLE,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE instead of stdout."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No output; only the exit code.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Also report (and fail on) custom names in the pattern."
        ),
    ] = False,
    schema: Annotated[
        list[str] | None,
        typer.Option("--schema", help="Schema glob to scan (repeatable)."),
    ] = None,
    exclude_schema: Annotated[
        list[str] | None,
        typer.Option("--exclude-schema", help="Schema glob to skip (repeatable)."),
    ] = None,
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help="Table glob, NAME or SCHEMA.NAME (repeatable)."),
    ] = None,
    exclude_table: Annotated[
        list[str] | None,
        typer.Option("--exclude-table", help="Table glob to skip (repeatable)."),
    ] = None,
    kind: Annotated[
        list[Kind] | None,
        typer.Option("--kind", help="Only findings of this kind (repeatable)."),
    ] = None,
    min_confidence: Annotated[
        Confidence,
        typer.Option("--min-confidence", help="Report likely findings too, or not."),
    ] = Confidence.LIKELY,
    connect_timeout: Annotated[
        int | None,
        typer.Option(
            "--connect-timeout",
            min=1,
            help="Seconds to wait for the server (default: the DSN's, else 10).",
            show_default=False,
        ),
    ] = None,
    statement_timeout: Annotated[
        str,
        typer.Option(
            "--statement-timeout", help="Limit per catalog query: 60s, 500ms, 2min."
        ),
    ] = "60s",
    debug: Annotated[
        bool, typer.Option("--debug", help="Log progress and show tracebacks.")
    ] = False,
) -> int:
    """Scan a database and list drifted names; exit 1 if there are any."""
    if debug:
        logging.basicConfig(stream=sys.stderr, format="seqcheck: debug: %(message)s")
        logging.getLogger("seqcheck").setLevel(logging.DEBUG)
    try:
        timeout_ms = _duration_ms(statement_timeout)
        scope = Scope(
            schemas=tuple(schema or ()),
            exclude_schemas=tuple(exclude_schema or ()),
            tables=tuple(table or ()),
            exclude_tables=tuple(exclude_table or ()),
            kinds=frozenset(kind or ()),
            strict=strict,
            min_confidence=Tier(min_confidence.value),
        )
        tiers = scope.tiers
        with (
            connect(
                resolve_dsn(dsn),
                connect_timeout=connect_timeout,
                statement_timeout_ms=timeout_ms,
            ) as conn,
            snapshot(conn, statement_timeout_ms=timeout_ms),
        ):
            server = read_server_info(conn)
            started = time.perf_counter()
            catalog = read_catalog(conn, server)
        log.debug("catalog read in %.2f s", time.perf_counter() - started)
        started = time.perf_counter()
        drift = find_drift(catalog, scope)
        log.debug("drift judged in %.2f s", time.perf_counter() - started)
        started = time.perf_counter()
        plan = make_plan(drift, catalog, include=tiers)
        log.debug("plan made in %.2f s", time.perf_counter() - started)
        if not quiet:
            _warn_scope(catalog, drift, plan, scope)
        colour = (
            output_format is Format.TABLE
            and output is None
            and sys.stdout.isatty()
            and not os.environ.get("NO_COLOR")
        )
        report = Report(drift, plan, server, __version__, strict, colour)
        if not quiet:
            started = time.perf_counter()
            _write(FORMATS[output_format.value](report), output)
            log.debug("report written in %.2f s", time.perf_counter() - started)
    except SeqcheckError as exc:
        _error(exc.message, exc.hint)
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_ERROR
    except Exception as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        _error(
            f"internal error: {type(exc).__name__}: {exc}",
            None if debug else "rerun with --debug for the traceback",
        )
        return EXIT_ERROR
    if any(f.tier in tiers for f in drift.findings):
        return EXIT_DRIFT
    return EXIT_CLEAN


def _duration_ms(text: str) -> int:
    """Return ``--statement-timeout`` in milliseconds (a bare number: seconds)."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise SeqcheckError(
            f"invalid --statement-timeout {text!r}", "use e.g. 60s, 500ms or 2min"
        )
    unit = (match[2] or "s").lower()
    return round(float(match[1]) * _UNIT_MS[unit])


def _warn_scope(catalog: Catalog, drift: Drift, plan: Plan, scope: Scope) -> None:
    """Warn about schemas without USAGE, globs that match nothing, blocked renames."""
    if drift.unusable_schemas:
        names = ", ".join(drift.unusable_schemas)
        _warning(
            f"role {catalog.server.user} has no USAGE on schema {names}:"
            " scanned from the catalogs, but this role cannot rename its objects"
        )
    schemas = [s.name for s in catalog.schemas]
    for glob in scope.schemas:
        if not any(fnmatch.fnmatchcase(name, glob) for name in schemas):
            _warning(f"--schema {glob} matches no schema")
    if plan.blocked:
        names = ", ".join(f.name for f in plan.blocked)
        _warning(
            f"left out of the rename script: {names} (the new name is held by"
            " an object the filters leave out)"
        )


def _write(text: str, output: Path | None) -> None:
    data = text.encode("utf-8", "surrogateescape")
    if output is not None:
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise SeqcheckError(
                f"cannot write {output}: {exc.strerror or exc}"
            ) from None
        return
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): stay quiet, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def _error(what: str, hint: str | None = None) -> None:
    line = f"{PROG}: error: {_one_line(what)}"
    if hint:
        line += f" ({_one_line(hint)})"
    print(line, file=sys.stderr)


def _warning(what: str) -> None:
    print(f"{PROG}: warning: {_one_line(what)}", file=sys.stderr)


def _usage_message(exc: typer.TyperException) -> tuple[str, str]:
    """Return click's usage error as ``(what, hint)`` in our one-line form."""
    ctx = getattr(exc, "ctx", None)
    path = str(getattr(ctx, "command_path", "") or PROG)
    text = " ".join(exc.format_message().replace("Value error, ", "").split())
    text = text[:1].lower() + text[1:]
    return text.rstrip("."), f"see {path} --help"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on *argv* (default: ``sys.argv[1:]``) and return the exit code."""
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args=args, prog_name=PROG, standalone_mode=False)
    except typer.TyperException as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help(), file=sys.stderr)
            return EXIT_ERROR
        what, hint = _usage_message(exc)
        _error(what, hint)
        return EXIT_ERROR
    except (typer.Abort, KeyboardInterrupt, EOFError):
        _error("interrupted")
        return EXIT_ERROR
    except Exception as exc:
        _error(f"internal error: {type(exc).__name__}: {exc}")
        return EXIT_ERROR
    if isinstance(result, int):
        return result
    return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
