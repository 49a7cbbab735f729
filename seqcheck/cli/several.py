"""Scanning several databases at once: bounded threads, one report.

Stage: the CLI. Each database is scanned as a scan of it alone; one that
cannot be scanned is reported with its error and the others regardless.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from seqcheck.cli.terminal import (
    _HELD,
    EXIT_CLEAN,
    EXIT_DRIFT,
    EXIT_ERROR,
    _append_step_summary,
    _colour,
    _error,
    _say,
    _write,
)
from seqcheck.errors import SeqcheckError
from seqcheck.options import Format, Shared

# The command module imports this one for MAX_JOBS and _dsn_list; what a scan
# of several databases needs is imported when it runs (see :mod:`seqcheck.cli`).

if TYPE_CHECKING:
    from seqcheck.baseline import Baseline
    from seqcheck.config import Config
    from seqcheck.render import Database

log = logging.getLogger("seqcheck.cli")


#: Scans of several databases at once, at most (``--jobs``' default).
MAX_JOBS = 8


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
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from seqcheck import __version__
    from seqcheck.cli.session import _duration_ms
    from seqcheck.config import load_config
    from seqcheck.progress import Progress
    from seqcheck.render import SEVERAL, Databases

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
            from seqcheck.render import github as render_github

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
    from seqcheck.cli.session import _baseline_notes, _batches, _report, _scanned
    from seqcheck.pipeline import failing
    from seqcheck.render import Database
    from seqcheck.statements import DEFAULT_LOCK_TIMEOUT, script

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
    from seqcheck.connect import describe_database, resolve_dsn

    names: list[str] = []
    for dsn in dsns:
        try:
            name = describe_database(resolve_dsn(dsn))
        except SeqcheckError:
            name = "a malformed DSN"
        count = names.count(name) + sum(n.startswith(f"{name} (") for n in names)
        names.append(f"{name} ({count + 1})" if count else name)
    return names
