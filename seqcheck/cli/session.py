"""One database's scan or fix, as the commands run it: connect or load, scan,
report, baseline notes, batches.

Stage: the CLI.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqcheck import __version__
from seqcheck.cli.terminal import (
    PROG,
    _append_step_summary,
    _colour,
    _note,
    _warning,
    _write,
)
from seqcheck.config import load_config
from seqcheck.connect import connect, resolve_dsn
from seqcheck.errors import SeqcheckError
from seqcheck.options import Format, Shared
from seqcheck.pipeline import Scanned, scan_connection
from seqcheck.progress import Progress
from seqcheck.render import FORMATS, Report

# What only some scans need (a schema file's server, a script's batches, the
# other formats' extras) is imported where it is used: a scan with
# ``--format json`` never loads it.

if TYPE_CHECKING:
    import psycopg

    from seqcheck.baseline import Baseline
    from seqcheck.batches import Batch
    from seqcheck.catalog import Catalog
    from seqcheck.config import Config
    from seqcheck.drift import Drift, Scope
    from seqcheck.findings import Finding
    from seqcheck.plan import Plan

log = logging.getLogger("seqcheck.cli")


_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*", re.I)


_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000}


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
    ahead: bool = False,
) -> Iterator[_Found]:
    """Connect, scan and plan; warn about the scope; keep the connection open.

    Findings that the config ignores, or that *baseline* knows, are left out;
    those named as text are left out of the plan unless *allow_text_references*.
    Without *progress*, no status line is drawn (a scan of several databases
    draws its own). With *ahead* (``fix --apply`` in one transaction),
    renames are sent while drift is judged (:mod:`seqcheck.ahead`); what
    apply does not commit is rolled back on exit.
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
        lock_table = None
        if ahead and not shared.schema_file:
            from seqcheck.apply import read_lock_table

            lock_table = read_lock_table(conn)
        with status.step("reading the catalog"):
            scanned = scan_connection(
                conn,
                scope,
                statement_timeout_ms=timeout_ms,
                keep_index_columns=keep_index_columns,
                drop=drop,
                allow_text_references=allow_text_references,
                ahead=lock_table,
            )
        log.debug("scanned in %.2f s", time.perf_counter() - started)
        try:
            if not shared.quiet:
                _warn_scope(scanned.catalog, scanned.drift, scanned.plan, scope)
            yield _Found(conn, scanned, timeout_ms)
        finally:
            if scanned.ahead is not None:
                scanned.ahead.close()


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
    from seqcheck.embedded import start_server
    from seqcheck.schemafile import (
        SERVER_SETTINGS,
        load_schema_files,
        read_schema_files,
    )

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
    from seqcheck.statements import DEFAULT_LOCK_TIMEOUT, timeout_text

    emit = emit or _Emit()
    if shared.quiet:
        return
    started = time.perf_counter()
    fmt = shared.output_format
    lock_timeout = timeout_text(lock_ms) if lock_ms is not None else None
    if fmt is Format.SQL:
        from seqcheck.statements import script, undo_script

        batches = [b.steps for b in _batches(shared, found, batch)]
        if emit.reverse:
            text = undo_script(batches, lock_timeout or DEFAULT_LOCK_TIMEOUT)
        else:
            text = script(found.plan, lock_timeout or DEFAULT_LOCK_TIMEOUT, batches)
    elif fmt is Format.ALEMBIC:
        from seqcheck.render import alembic as render_alembic

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
        report = _report(found, _colour(shared), "scan" if lock_ms is None else "fix")
        text = FORMATS[fmt.value](report)
        if fmt is Format.GITHUB:
            from seqcheck.render import github as render_github

            _append_step_summary(render_github.summary(report))
        if lock_timeout is not None and fmt is Format.TABLE:
            from seqcheck.render import fix as render_fix

            batches = [b.steps for b in _batches(shared, found, batch)]
            text += "\n" + render_fix.planned(
                found.plan, lock_timeout, batches, scanned.refused
            )
    _write(text, shared.output)
    log.debug("report written in %.2f s", time.perf_counter() - started)


def _report(found: _Found, colour: bool, command: str = "scan") -> Report:
    """Return what the renderers take for *found*, made by *command*."""
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
        command,
    )


def _batches(
    shared: Shared, found: _Found, statements: int | None
) -> tuple[Batch, ...]:
    """Return the plan cut in transactions as ``--apply`` runs it on this server."""
    return _batch_maker(shared, found, statements)()


def _batch_maker(
    shared: Shared, found: _Found, statements: int | None
) -> Callable[[], tuple[Batch, ...]]:
    """Return :func:`_batches` as a function of no connection (the lock table read).

    For ``--schema-file`` (a throwaway server), as on a server with default
    settings.
    """
    from seqcheck.apply import batch_maker
    from seqcheck.batches import DEFAULT_LOCK_TABLE

    table = DEFAULT_LOCK_TABLE if shared.schema_file else None
    if found.scanned.ahead is not None:  # read before the renames sent ahead
        table = found.scanned.ahead.lock_table
    return batch_maker(
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
    """Refuse ``--reverse``, ``--revision`` and formats where they mean nothing.

    ``--apply`` reports what it renamed as a table or as json.
    """
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
    if apply and fmt not in {Format.TABLE, Format.JSON}:
        raise SeqcheckError(
            f"--apply reports what it renamed as a table or as json, not {fmt}",
            hint=f"seqcheck fix --format {fmt} -o FILE writes the plan without"
            " applying it",
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
    from seqcheck.baseline import write_baseline as save_baseline

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
    if plan.dead_ends:
        names = ", ".join(f"{f.table}.{f.name}" for f in plan.dead_ends)
        _warning(
            f"cannot rename {names}: the rename recurses by name and an attached"
            " partition or child keeps a NOT NULL name of its own (PostgreSQL 18);"
            " reported, not attempted"
        )
    if plan.blocked:
        names = ", ".join(f.name for f in plan.blocked)
        _warning(
            f"left out of the rename script: {names} (the new name is held by"
            " an object the filters leave out)"
        )
