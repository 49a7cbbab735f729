"""Apply: run a plan's renames in one transaction, verify them, then commit.

Stage: apply (an edge: the only stage that writes). Imports psycopg, the
catalog reader, drift, plan types, locks and statements; never typer, and it
writes nothing to the terminal. Every statement comes from
:mod:`seqcheck.statements`, and they only rename (never DROP, CREATE or touch
rows), so OIDs, rows and sequence positions are unchanged.

One transaction (DESIGN.md, "Fix"): ``SET LOCAL lock_timeout`` and
``statement_timeout``, the renames in plan order, then a re-read of the catalog
and a re-run of :func:`~seqcheck.drift.find_drift` with the same scope, inside
the same transaction. It commits only when every planned object carries its
new name and no planned finding is reported again; otherwise it rolls back and
raises :class:`~seqcheck.errors.SeqcheckError`. A lock timeout rolls back too,
and the error names the sessions holding the lock. Batches, retries with
backoff, pre-flight ownership checks and text references are to come: they
wrap :func:`_run_batch`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors

from seqcheck.catalog import read_catalog
from seqcheck.connect import DEFAULT_STATEMENT_TIMEOUT_MS
from seqcheck.drift import Scope, find_drift
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind
from seqcheck.locks import blockers, describe
from seqcheck.statements import (
    set_lock_timeout,
    set_statement_timeout,
    statement,
    timeout_text,
)

if TYPE_CHECKING:
    from seqcheck.catalog import Catalog
    from seqcheck.drift import Drift
    from seqcheck.plan import Plan, RenameStep

__all__ = ["DEFAULT_LOCK_TIMEOUT_MS", "ApplyResult", "Rename", "apply_plan", "renames"]

log = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT_MS = 2000
_SHOWN_PROBLEMS = 3

# What each kind of object is found under in the catalog, by OID.
_CATEGORY: dict[Kind, str] = {
    Kind.SEQUENCE: "sequence",
    Kind.PKEY: "index",
    Kind.UNIQUE: "index",
    Kind.EXCLUSION: "index",
    Kind.INDEX: "index",
    Kind.FKEY: "constraint",
    Kind.CHECK: "constraint",
    Kind.NOT_NULL: "constraint",
    Kind.DOMAIN: "constraint",
    Kind.STATISTICS: "statistics",
    Kind.INDEX_COLUMN: "index-column",
}


@dataclass(frozen=True, slots=True)
class Rename:
    """What one object was renamed from and to, temporary names left out.

    :param index: for ``index-column``, the index (as named after the plan).
    """

    kind: Kind
    schema: str
    table: str
    object_oid: int
    old: str
    new: str
    index: str = ""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """A committed plan: its steps, the net renames and the re-scan before commit.

    :param drift: what :func:`~seqcheck.drift.find_drift` found inside the
        transaction after the renames: findings the plan did not cover.
    """

    steps: tuple[RenameStep, ...]
    renames: tuple[Rename, ...]
    drift: Drift
    seconds: float


class _StepFailed(Exception):
    """A statement failed; raised inside the transaction so that it rolls back."""

    def __init__(self, step: RenameStep, error: psycopg.Error) -> None:
        super().__init__(str(error))
        self.step = step
        self.error = error


def apply_plan(
    conn: psycopg.Connection[Any],
    plan: Plan,
    *,
    scope: Scope | None = None,
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
) -> ApplyResult:
    """Run every step of *plan* in one transaction; commit only if verified.

    :param conn: an idle connection, such as :func:`~seqcheck.connect.connect`
        returns; its read-only and isolation settings are restored afterwards.
    :param scope: the scope *plan* was made for; the re-scan uses it too.
    :raises SeqcheckError: a statement failed, a lock was not granted within
        *lock_timeout_ms* (naming the sessions holding it), or verification
        failed. Nothing was committed.
    """
    scope = scope or Scope()
    started = time.perf_counter()
    with _read_write(conn):
        drift = _run_batch(
            conn, plan.steps, scope, lock_timeout_ms, statement_timeout_ms
        )
    seconds = time.perf_counter() - started
    log.debug("applied %d steps in %.2f s", len(plan.steps), seconds)
    return ApplyResult(plan.steps, renames(plan.steps), drift, seconds)


def renames(steps: Sequence[RenameStep]) -> tuple[Rename, ...]:
    """Return each object's first and last name in *steps*, in plan order."""
    first: dict[tuple[str, int, str], str] = {}
    last: dict[tuple[str, int, str], RenameStep] = {}
    columns: dict[tuple[int, str], tuple[str, int, str]] = {}
    for step in steps:
        if step.kind is Kind.INDEX_COLUMN:
            at = (step.object_oid, step.old)
            key = columns.pop(at, ("index-column", step.object_oid, step.old))
            columns[step.object_oid, step.new] = key
        else:
            key = (_CATEGORY[step.kind], step.object_oid, "")
        first.setdefault(key, step.old)
        last[key] = step
    done: list[Rename] = []
    for key, old in first.items():
        step = last[key]
        if old != step.new:
            done.append(
                Rename(
                    step.kind,
                    step.schema,
                    step.table,
                    step.object_oid,
                    old,
                    step.new,
                    step.index,
                )
            )
    return tuple(done)


@contextmanager
def _read_write(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Make *conn*'s transactions READ WRITE, READ COMMITTED; restore afterwards.

    Read committed: each query of the re-scan sees every committed change and
    this transaction's own renames.
    """
    saved = conn.read_only, conn.isolation_level
    conn.read_only = False
    conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            conn.read_only, conn.isolation_level = saved


def _run_batch(
    conn: psycopg.Connection[Any],
    steps: Sequence[RenameStep],
    scope: Scope,
    lock_timeout_ms: int,
    statement_timeout_ms: int,
) -> Drift:
    """Run *steps* in one transaction, verify, commit; return the re-scan.

    :raises SeqcheckError: anything failed; the transaction was rolled back.
    """
    try:
        with conn.transaction():
            conn.execute(set_lock_timeout(timeout_text(lock_timeout_ms)))
            conn.execute(set_statement_timeout(statement_timeout_ms))
            for step in steps:
                try:
                    conn.execute(statement(step))
                except psycopg.Error as exc:
                    raise _StepFailed(step, exc) from exc
            catalog = read_catalog(conn)
            drift = find_drift(catalog, scope)
            problems = _verify(renames(steps), catalog, drift)
            if problems:
                raise _unverified(problems)
    except _StepFailed as failed:
        raise _step_error(conn, failed, lock_timeout_ms) from None
    except errors.QueryCanceled:
        raise SeqcheckError(
            f"re-reading the catalog took longer than {statement_timeout_ms} ms",
            "nothing was changed; raise --statement-timeout",
        ) from None
    except psycopg.OperationalError as exc:
        raise SeqcheckError(
            f"lost the connection to the server: {_first_line(str(exc))}",
            "if it was lost while committing, run seqcheck scan to see what is there",
        ) from None
    except psycopg.Error as exc:
        raise SeqcheckError(
            f"could not verify the renames: {_first_line(str(exc))}",
            "nothing was changed",
        ) from None
    return drift


def _verify(done: Sequence[Rename], catalog: Catalog, drift: Drift) -> list[str]:
    """Return what is wrong after *done*: names not taken, findings still there."""
    names: dict[tuple[str, int], str] = {}
    names.update((("sequence", s.oid), s.name) for s in catalog.sequences)
    names.update((("index", i.oid), i.name) for i in catalog.indexes)
    names.update((("constraint", c.oid), c.name) for c in catalog.constraints)
    names.update((("statistics", s.oid), s.name) for s in catalog.statistics)
    stored = {i.oid: i.stored_names for i in catalog.indexes}
    new_columns = {(r.object_oid, r.new) for r in done if r.kind is Kind.INDEX_COLUMN}
    objects = {(_CATEGORY[r.kind], r.object_oid) for r in done}
    problems: list[str] = []
    for rename in done:
        what = f"{rename.kind} {rename.schema}.{rename.old}"
        if rename.kind is Kind.INDEX_COLUMN:
            columns = stored.get(rename.object_oid, ())
            stale = (rename.object_oid, rename.old) not in new_columns
            if rename.new not in columns or (stale and rename.old in columns):
                problems.append(
                    f"index {rename.schema}.{rename.index} stores"
                    f" {', '.join(columns)}, not {rename.new} for {rename.old}"
                )
            continue
        now = names.get((_CATEGORY[rename.kind], rename.object_oid))
        if now != rename.new:
            found = "is gone" if now is None else f"is named {now!r}"
            problems.append(f"{what} {found}, not {rename.new!r}")
    for finding in drift.findings:
        if finding.kind is Kind.INDEX_COLUMN:
            planned = (finding.object_oid, finding.column) in new_columns
        else:
            planned = (_CATEGORY[finding.kind], finding.object_oid) in objects
        if planned:
            problems.append(f"still reported: {finding.message}")
    return problems


def _unverified(problems: list[str]) -> SeqcheckError:
    shown = "; ".join(problems[:_SHOWN_PROBLEMS])
    more = len(problems) - _SHOWN_PROBLEMS
    if more > 0:
        shown += f"; and {more} more"
    return SeqcheckError(
        f"verification failed after the renames: {shown}",
        "rolled back, nothing was changed; run seqcheck scan to see the current state",
    )


def _step_error(
    conn: psycopg.Connection[Any], failed: _StepFailed, lock_timeout_ms: int
) -> SeqcheckError:
    """Return the error for a failed rename, after the rollback."""
    step, exc = failed.step, failed.error
    what = f"{step.kind} {step.schema}.{step.old}"
    if step.kind is Kind.INDEX_COLUMN:
        what = f"column {step.old} of index {step.schema}.{step.index}"
    if isinstance(exc, errors.LockNotAvailable):
        holders = blockers(conn, step)
        by = "; ".join(describe(h) for h in holders) or "a session that has ended"
        return SeqcheckError(
            f"renaming {what} waited longer than lock_timeout"
            f" ({timeout_text(lock_timeout_ms)}) for a lock held by {by}",
            "nothing was changed; retry when that session is done,"
            " or raise --lock-timeout",
        )
    if isinstance(exc, errors.QueryCanceled):
        return SeqcheckError(
            f"renaming {what} took longer than statement_timeout",
            "nothing was changed; raise --statement-timeout",
        )
    if isinstance(exc, psycopg.OperationalError):
        return SeqcheckError(
            f"lost the connection renaming {what}: {_first_line(str(exc))}",
            "nothing was committed; run seqcheck fix again",
        )
    return SeqcheckError(
        f"could not rename {what} to {step.new}: {_first_line(str(exc))}",
        "nothing was changed; if the schema changed since the scan, run"
        " seqcheck fix again",
    )


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else text.strip()
