"""Apply: run a plan in verified transactions, one per batch, retrying lock waits.

Stage: apply (an edge: the only stage that writes). Imports psycopg, the
catalog reader, drift, plan, batches, verify, forecast, pre-flight, locks and
statements; never typer, and it writes nothing to the terminal. Every
statement comes from :mod:`seqcheck.statements`, and they only rename (never
DROP, CREATE or touch rows), so OIDs, rows and sequence positions are
unchanged.

Before anything changes, :func:`~seqcheck.preflight.check_preflight` refuses a
standby and objects this role may not rename. Then each batch
(:func:`~seqcheck.batches.split_plan`; one when the lock table holds the whole
plan) is one transaction (DESIGN.md, "Fix"): ``SET LOCAL lock_timeout`` and
``statement_timeout``, every name read, the renames (a thousand per query, so
that round trips do not add up), every name read again. It commits only when
:func:`~seqcheck.verify.unexpected` finds nothing: the batch's renames took
effect and no other name changed. A plan of one batch reads the names only
after its renames, which must be exactly the names forecast from the scan's
catalog (else it is rolled back and run as above). The last batch also
judges drift inside its transaction and commits only if no finding it covers
is reported again (so after it the scan is clean): the drift of the
predicted catalog (:func:`~seqcheck.verify.predicted`, judged in a child
process while the server runs the renames,
:class:`~seqcheck.forecast.Forecast`) when the names read are the ones
forecast (one batch) or hold what the scan read, else of the catalog read
again.
A lock timeout (or a deadlock) rolls the batch back and retries it after a
growing pause; when the retries are used up, the error names the sessions
holding the lock.
The atomicity promise is per batch: batches committed before a failure stay,
and a re-run plans only what is left.

Renames sent while drift was judged (:mod:`seqcheck.ahead`) are already in
an open transaction when a plan of one batch comes here: it is ended with
the rest of the plan, verified as above, or rolled back, and the plan run
as above, pre-flight first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors

from seqcheck.ahead import LOCK_WAIT_MS, Ahead, read_names
from seqcheck.batches import Batch, LockTable, split_plan
from seqcheck.catalog import read_catalog, read_server_info
from seqcheck.connect import DEFAULT_STATEMENT_TIMEOUT_MS
from seqcheck.defaults import DEFAULT_RETRIES
from seqcheck.drift import Scope, find_drift
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind
from seqcheck.forecast import Forecast
from seqcheck.locks import Blocker, blockers, describe
from seqcheck.preflight import check_preflight
from seqcheck.statements import (
    assembled,
    lock_settings,
    set_lock_timeout,
    set_statement_timeout,
    statement_bytes,
    step_names,
    timeout_text,
)
from seqcheck.verify import (
    Names,
    Rename,
    renames,
    reported,
    unexpected,
)

if TYPE_CHECKING:
    from seqcheck.catalog import Catalog
    from seqcheck.drift import Drift
    from seqcheck.findings import Finding
    from seqcheck.plan import Plan, RenameStep

__all__ = [
    "DEFAULT_LOCK_TIMEOUT_MS",
    "DEFAULT_RETRIES",
    "ApplyResult",
    "Rename",
    "apply_plan",
    "batch_maker",
    "read_lock_table",
    "renames",
]

log = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT_MS = 2000
#: Lock timeouts retried per batch before giving up (``--retries``).
_SHOWN_PROBLEMS = 3
# Statements sent as one simple query; or per pipeline sync, once the failing
# statement must be named.
_CHUNK = 1000
_RETRYABLE = (errors.LockNotAvailable, errors.DeadlockDetected)


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """A committed plan: its steps as run, the net renames, the last re-scan.

    :param drift: what :func:`~seqcheck.drift.find_drift` found inside the
        last transaction after its renames: findings the plan did not cover.
    :param batches: how many transactions it took.
    :param forecast: the names read after the last batch were the ones its
        forecast predicted (:class:`~seqcheck.forecast.Forecast`), so its
        drift was forecast too; otherwise they were compared with names read before the
        renames, and the drift judged from them or a catalog read again.
    :param ahead: renames that were sent while drift was judged
        (:mod:`seqcheck.ahead`) and kept.
    """

    steps: tuple[RenameStep, ...]
    renames: tuple[Rename, ...]
    drift: Drift
    seconds: float
    batches: int = 1
    forecast: bool = False
    ahead: int = 0


class _StepFailed(Exception):
    """A statement failed; raised inside the transaction so that it rolls back.

    :param step: the statement that failed; ``None`` when it is one of
        *chunk*, sent as one query.
    :param count: statements run in the transaction, this one included (at
        most).
    """

    def __init__(
        self,
        step: RenameStep | None,
        error: psycopg.Error,
        count: int,
        chunk: Sequence[RenameStep] = (),
    ) -> None:
        super().__init__(str(error))
        self.step = step
        self.error = error
        self.count = count
        self.chunk = chunk


class _NotForecast(Exception):
    """The names after a batch are not the forecast's; rolls it back."""


class _Unverified(Exception):
    """The re-read catalog is not what the batch planned; rolls it back."""

    def __init__(self, found: list[str]) -> None:
        super().__init__("; ".join(found))
        self.found = found


@dataclass(frozen=True, slots=True)
class _Where:
    """Which batch is running, for the hint of an error."""

    number: int
    total: int
    committed: int  # renames in the batches before it

    def nothing(self) -> str:
        if self.number == 1:
            return "nothing was changed"
        before = "batch 1" if self.number == 2 else f"batches 1-{self.number - 1}"
        return (
            f"nothing of batch {self.number} of {self.total} was committed;"
            f" {before} ({self.committed} renames) stay committed:"
            " run seqcheck fix --apply again to finish"
        )


def read_lock_table(conn: psycopg.Connection[Any]) -> LockTable:
    """Return the server's lock table settings."""
    row = conn.execute(lock_settings()).fetchone()
    if row is None:  # pragma: no cover - SELECT without FROM returns one row
        raise SeqcheckError("could not read the lock table settings")
    return LockTable(int(row[0]), int(row[1]), int(row[2]))


def batch_maker(
    conn: psycopg.Connection[Any],
    plan: Plan,
    catalog: Catalog,
    *,
    statements: int | None = None,
    lock_table: LockTable | None = None,
) -> Callable[[], tuple[Batch, ...]]:
    """Return a function that cuts *plan* as :func:`apply_plan` runs it here.

    The server's lock table is read now; the plan is cut when the function
    is called (:func:`apply_plan` calls it while pre-flight reads privileges).

    :param statements: at most this many statements per batch (``--batch``);
        by default, as many as the lock table's budget allows.
    :param lock_table: size batches for these settings, not the server's.
    """
    if statements is not None:
        return partial(split_plan, plan, catalog, statements=statements)
    table = lock_table if lock_table is not None else read_lock_table(conn)
    return partial(split_plan, plan, catalog, locks=table.budget())


def apply_plan(
    conn: psycopg.Connection[Any],
    plan: Plan,
    *,
    scope: Scope | None = None,
    catalog: Catalog | None = None,
    batches: Sequence[Batch] | Callable[[], Sequence[Batch]] | None = None,
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    retries: int = DEFAULT_RETRIES,
    backoff_ms: int | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    ahead: Ahead | None = None,
    findings: Collection[Finding] | None = None,
) -> ApplyResult:
    """Run *plan*, one verified transaction per batch.

    :param conn: an idle connection, such as :func:`~seqcheck.connect.connect`
        returns; its read-only and isolation settings are restored afterwards.
    :param scope: the scope *plan* was made for; the re-scans use it too.
    :param catalog: the catalog *plan* was made from, to put the steps of
        the default single batch in lock order.
    :param batches: the batches, or :func:`batch_maker`'s function (cut
        while pre-flight reads privileges); by default one transaction.
    :param retries: how often a batch that waited longer than
        *lock_timeout_ms* for a lock is tried again.
    :param backoff_ms: the pause before the first retry, doubled for each
        next one; by default *lock_timeout_ms*.
    :param on_batch: called with (batch number, batch count) as each starts.
    :param ahead: renames sent while drift was judged, in a transaction left
        open: this one transaction is ended with the rest of the plan when
        the plan is one batch that makes each of them as sent, and no other
        step touches their new names; else rolled back first, and the plan
        run as without it.
    :param findings: every finding of the drift *plan* was made from (those
        left out of it too): the drift after the plan is then forecast for
        the tables they or the renames touch only
        (:func:`~seqcheck.verify.touched`), the others judging as before;
        without them, for every table.
    :raises SeqcheckError: the server or role cannot run the plan (nothing
        changed); or a batch failed, gave up waiting for a lock (naming the
        sessions holding it) or was not verified: it was rolled back, and the
        batches before it stay committed (the message says so).
    """
    scope = scope or Scope()
    pause = lock_timeout_ms if backoff_ms is None else backoff_ms
    started = time.perf_counter()
    done: list[RenameStep] = []
    drift: Drift | None = None
    # The forecast forks first (no thread of this module runs yet; one of
    # ahead's may), from the plan's renames: batches reorder steps, never an
    # object's own.
    net = renames(plan.steps)
    forecast = Forecast(catalog, net, scope, findings) if catalog is not None else None
    try:
        if ahead is not None:
            if forecast is not None and ahead.begun:
                run = _Run(
                    conn,
                    scope,
                    min(lock_timeout_ms, LOCK_WAIT_MS),
                    statement_timeout_ms,
                    _Where(1, 1, 0),
                    forecast,
                )
                ended = _after_ahead(run, plan, ahead, net, batches, started=started)
                if ended is not None:
                    return ended
            ahead.close()  # rolled back: the plan runs as without it
        read_server_info(conn)  # registers the loaders names need (SQL_ASCII)
        with ThreadPoolExecutor(1) as pool:  # pre-flight reads while the plan is cut
            checked = pool.submit(check_preflight, conn, plan.steps)
            cut_here = batches is None or callable(batches)
            if callable(batches):
                batches = batches()
            elif batches is None and catalog is not None:
                batches = split_plan(plan, catalog)  # one batch, in lock order
            groups = [b.steps for b in batches] if batches is not None else [plan.steps]
            groups = [g for g in groups if g] or [()]
            steps = [s for g in groups for s in g]
            # One batch cut here holds the plan's steps: the same renames.
            every = net if cut_here and len(groups) == 1 else renames(steps)
            checked.result()
        if forecast is not None:
            same = every is net or set(every) == set(net)
            forecast.expect(every, same=same, one=len(groups) == 1)
        with _read_write(conn):
            for number, batch in enumerate(groups, 1):
                if on_batch is not None:
                    on_batch(number, len(groups))
                committed = len(renames(done)) if done else 0
                where = _Where(number, len(groups), committed)
                run = _Run(
                    conn, scope, lock_timeout_ms, statement_timeout_ms, where, forecast
                )
                planned = every if len(groups) == 1 else renames(batch)
                drift = run.with_retries(batch, planned, retries, pause)
                done.extend(batch)
    finally:
        if ahead is not None:
            ahead.close()
        if forecast is not None:
            forecast.close()
    seconds = time.perf_counter() - started
    assert drift is not None  # the last batch re-runs drift
    log.debug("applied %d steps in %d batches, %.2f s", len(done), len(groups), seconds)
    held = forecast is not None and forecast.held
    return ApplyResult(tuple(done), every, drift, seconds, len(groups), held)


def _after_ahead(
    run: _Run,
    plan: Plan,
    ahead: Ahead,
    net: tuple[Rename, ...],
    batches: Sequence[Batch] | Callable[[], Sequence[Batch]] | None,
    *,
    started: float,
) -> ApplyResult | None:
    """End *ahead*'s transaction with the rest of *plan*; ``None``: rolled back.

    The rest of the one batch runs, verified as a plan of one batch is
    (:meth:`_Run.once`, in a savepoint), its locks waited for no longer than
    those of the renames sent ahead (see :mod:`seqcheck.ahead`), then the
    commit. No pre-flight: every rename has run (a standby or a missing
    privilege fails one). ``None`` when a rename sent failed, the plan is cut
    into several batches, a rename sent is not one of its steps or another
    step touches its new name, or the rest failed or was not as forecast: all
    of it is rolled back, and the plan runs as without *ahead*, pre-flight first.

    :raises SeqcheckError: the batch was not verified (rolled back, nothing
        changed).
    """
    forecast = run.forecast
    assert forecast is not None
    if batches is not None and not callable(batches):
        if len([b for b in batches if b.steps]) != 1:
            return None
        steps: Sequence[RenameStep] = next(b.steps for b in batches if b.steps)
    else:  # the lock table holds every object (Ahead.start): one batch
        steps = plan.steps
    forecast.expect(net, same=True, one=True)  # the names, in a thread meanwhile
    clock = _Clock("ahead")
    sent = ahead.finish()
    read = ", the names after them read" if ahead.names_after is not None else ""
    clock.lap(f"{len(sent or ())} renames sent ahead run{read}")
    if sent is None:
        return None
    rest = _rest(steps, sent)
    if rest is None:
        log.debug("a rename sent ahead is not the plan's: running the plan again")
        return None
    conn = run.conn
    after = None if rest else ahead.names_after  # read after the renames sent
    try:
        drift = run.once(rest, net, careful=False, forecast=True, after=after)
    except (_StepFailed, _NotForecast) as failed:
        log.debug("the renames after those sent ahead: %s", failed)
        return None
    assert drift is not None
    try:
        conn.commit()
    except psycopg.Error as exc:
        raise SeqcheckError(
            f"could not commit the renames: {_first_line(str(exc))}",
            "if the connection was lost while committing, run seqcheck scan to"
            " see what is there",
        ) from None
    ahead.committed()
    seconds = time.perf_counter() - started
    log.debug("applied %d steps, %d sent ahead, %.2f s", len(steps), len(sent), seconds)
    done = (*sent, *rest)
    return ApplyResult(done, net, drift, seconds, 1, forecast.held, len(sent))


#: What makes a step's statement: cheaper to compare than the step.
_what_runs = attrgetter("kind", "schema", "table", "object_oid", "old", "new", "index")


def _rest(
    steps: Sequence[RenameStep], sent: Sequence[RenameStep]
) -> list[RenameStep] | None:
    """Return *steps* but those *sent*; ``None`` if they cannot be run so.

    Each step sent must be one of *steps*, and no other step may have a name
    one of them took (as its old or new name): then running them first is
    running *steps* in another order that renames onto free names only.
    """
    ran = set(map(id, sent))
    if ran <= set(map(id, steps)):  # the plan's own steps (the plan sent ahead)
        rest = [step for step in steps if id(step) not in ran]
    else:
        done = set(map(_what_runs, sent))
        planned = list(map(_what_runs, steps))
        if not done.issubset(planned):
            return None
        rest = [s for s, runs in zip(steps, planned, strict=True) if runs not in done]
    if not rest:
        return rest
    taken = {(step.schema, step.new) for step in sent}
    for step in rest:
        if step.kind is not Kind.INDEX_COLUMN and (
            (step.schema, step.new) in taken or (step.schema, step.old) in taken
        ):
            return None
    return rest


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


@dataclass(frozen=True, slots=True)
class _Run:
    """One batch's transaction, its settings, and where it is in the plan."""

    conn: psycopg.Connection[Any]
    scope: Scope
    lock_timeout_ms: int
    statement_timeout_ms: int
    where: _Where
    forecast: Forecast | None = None

    def with_retries(
        self,
        steps: Sequence[RenameStep],
        done: Sequence[Rename],
        retries: int,
        pause_ms: int,
    ) -> Drift | None:
        """Run the batch (its net renames *done*); after a lock timeout, retry.

        The first attempt sends the statements in chunks of one query each;
        once one has failed, attempts send them one by one (pipelined), so
        that the error names the statement.
        """
        careful = False
        forecast = self.forecast is not None and self.where.total == 1
        for attempt in range(retries + 1):
            try:
                try:
                    return self.once(steps, done, careful=careful, forecast=forecast)
                except _NotForecast:
                    log.debug("the names after the renames are not as forecast")
                    forecast = False
                    return self.once(steps, done, careful=careful)
            except _StepFailed as caught:
                failed = caught
            if failed.step is None and not isinstance(failed.error, _RETRYABLE):
                # Not a lock wait: run it again, one by one, to name the statement.
                try:
                    return self.once(steps, done, careful=True)
                except _StepFailed as again:
                    failed = again
            careful = True
            if not isinstance(failed.error, _RETRYABLE) or attempt == retries:
                raise self.step_error(failed, attempt + 1) from None
            wait = pause_ms * 2**attempt / 1000
            log.debug(
                "batch %d: %s; retry %d of %d in %.2f s",
                self.where.number,
                _first_line(str(failed.error)),
                attempt + 1,
                retries,
                wait,
            )
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def once(
        self,
        steps: Sequence[RenameStep],
        done: Sequence[Rename],
        *,
        careful: bool,
        forecast: bool = False,
        after: Names | None = None,
    ) -> Drift | None:
        """Run *steps* in one transaction, verify that they did *done*, commit.

        Every batch compares all names after its renames with the names read
        before them or, with *forecast* (a plan of one batch), with the names
        forecast; the last also judges drift (see
        :class:`~seqcheck.forecast.Forecast`), and returns it. *after*: the
        names, read already after every rename of the transaction (no
        *steps* then, and *forecast*).

        :raises _StepFailed: a statement failed (rolled back).
        :raises _NotForecast: the names after are not the forecast's (rolled back).
        :raises SeqcheckError: anything else failed (rolled back).
        """
        conn = self.conn
        drift: Drift | None = None
        try:
            with conn.transaction():
                conn.execute(set_lock_timeout(timeout_text(self.lock_timeout_ms)))
                conn.execute(set_statement_timeout(self.statement_timeout_ms))
                clock = _Clock(f"batch {self.where.number}")
                before: Names | None = None
                assert after is None or (forecast and not steps)
                if not forecast:
                    before = self.names_before()
                    clock.lap("names read before")
                if after is None:
                    _execute(conn, steps, careful=careful)
                    clock.lap(f"{len(steps)} renames run")
                    after = read_names(conn)
                    clock.lap("names read after")
                if before is not None:
                    found = unexpected(done, before, after)
                elif self.forecast is not None and self.forecast.names_hold(after):
                    found = []
                else:
                    raise _NotForecast
                clock.lap("renames verified")
                if not found and self.where.number == self.where.total:
                    drift = self.drift_after()
                    found = reported(done, drift)
                    clock.lap("drift judged")
                if found:
                    raise _Unverified(found)
            if self.forecast is not None:
                self.forecast.committed = after
        except (_StepFailed, _NotForecast):
            raise
        except _Unverified as unverified:
            raise self.unverified(unverified.found) from None
        except errors.OutOfMemory:
            raise self.out_of_memory(len(steps)) from None
        except errors.QueryCanceled:
            raise SeqcheckError(
                "re-reading the catalog took longer than"
                f" {self.statement_timeout_ms} ms",
                f"{self.where.nothing()}; raise --statement-timeout",
            ) from None
        except psycopg.OperationalError as exc:
            raise SeqcheckError(
                f"lost the connection to the server: {_first_line(str(exc))}",
                "if it was lost while committing, run seqcheck scan to see what"
                " is there",
            ) from None
        except psycopg.Error as exc:
            raise SeqcheckError(
                f"could not verify the renames: {_first_line(str(exc))}",
                self.where.nothing(),
            ) from None
        return drift

    def names_before(self) -> Names:
        """Read the names before the batch's renames; hand them to the forecast."""
        before = read_names(self.conn)
        if self.forecast is not None:
            if self.where.number == 1:
                self.forecast.start(before)
            else:
                self.forecast.follows(before)
        return before

    def drift_after(self) -> Drift:
        """Return the drift after the last batch: forecast, or read and judged."""
        forecast = self.forecast.drift() if self.forecast is not None else None
        if forecast is not None:
            return forecast
        log.debug("the catalog is not as forecast: reading it again")
        return find_drift(read_catalog(self.conn), self.scope)

    def unverified(self, found: list[str]) -> SeqcheckError:
        shown = "; ".join(found[:_SHOWN_PROBLEMS])
        more = len(found) - _SHOWN_PROBLEMS
        if more > 0:
            shown += f"; and {more} more"
        return SeqcheckError(
            f"verification failed after the renames: {shown}",
            f"rolled back, {self.where.nothing()}; run seqcheck scan to see the"
            " current state",
        )

    def out_of_memory(self, count: int) -> SeqcheckError:
        return SeqcheckError(
            "the server's lock table is full (out of shared memory) after"
            f" {count} renames in one transaction",
            f"{self.where.nothing()}; retry with a smaller --batch, or raise"
            " max_locks_per_transaction",
        )

    def step_error(self, failed: _StepFailed, attempts: int) -> SeqcheckError:
        """Return the error for a failed rename, after the rollback."""
        exc = failed.error
        if isinstance(exc, errors.OutOfMemory):
            return self.out_of_memory(failed.count)
        step, holders = failed.step, list[Blocker]()
        if step is None:  # a lock wait in a chunk sent as one query
            step, holders = _blocked(self.conn, failed.chunk)
        elif isinstance(exc, _RETRYABLE):
            holders = blockers(self.conn, step)
        nothing = self.where.nothing()
        what = f"{step.kind} {step.schema}.{step.old}"
        if step.kind is Kind.INDEX_COLUMN:
            what = f"column {step.old} of index {step.schema}.{step.index}"
        if isinstance(exc, _RETRYABLE):
            by = "; ".join(describe(h) for h in holders) or "a session that has ended"
            waited = (
                "deadlocked with"
                if isinstance(exc, errors.DeadlockDetected)
                else "waited longer than lock_timeout"
                f" ({timeout_text(self.lock_timeout_ms)}) for a lock held by"
            )
            tries = f" ({attempts} attempts)" if attempts > 1 else ""
            return SeqcheckError(
                f"renaming {what} {waited} {by}{tries}",
                f"{nothing}; retry when that session is done, or raise --lock-timeout",
            )
        if isinstance(exc, errors.QueryCanceled):
            return SeqcheckError(
                f"renaming {what} took longer than statement_timeout",
                f"{nothing}; raise --statement-timeout",
            )
        if isinstance(exc, psycopg.OperationalError):
            return SeqcheckError(
                f"lost the connection renaming {what}: {_first_line(str(exc))}",
                "nothing of this batch was committed; run seqcheck fix again",
            )
        return SeqcheckError(
            f"could not rename {what} to {step.new}: {_first_line(str(exc))}",
            f"{nothing}; if the schema changed since the scan, run seqcheck fix again",
        )


class _Clock:
    """Logs how long each part of a batch took (``--debug``)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.last = time.perf_counter()

    def lap(self, done: str) -> None:
        now = time.perf_counter()
        log.debug("%s: %s in %.2f s", self.what, done, now - self.last)
        self.last = now


def _blocked(
    conn: psycopg.Connection[Any], chunk: Sequence[RenameStep]
) -> tuple[RenameStep, list[Blocker]]:
    """Return the first step of *chunk* whose lock another session holds."""
    for step in chunk:
        holders = blockers(conn, step)
        if holders:
            return step, holders
    return chunk[0], []


def _execute(
    conn: psycopg.Connection[Any], steps: Sequence[RenameStep], *, careful: bool
) -> None:
    """Run *steps* in order; raise :class:`_StepFailed` for the first that fails.

    By default each chunk of statements is one simple query: a round trip per
    chunk, not per statement (psql's pace, or better), the next chunk's text
    assembled in a thread while the server runs one. *careful* pipelines
    them with a cursor each, so that after a failure the first cursor without
    a successful result names the step that failed. The text comes from
    :func:`~seqcheck.statements.statement_bytes`, every identifier quoted by
    ``psycopg.sql.Identifier`` for this connection.
    """
    if not careful:
        # In UTF-8, Identifier quotes without the connection exactly as libpq
        # does, so all of the text is made in the thread; in another encoding
        # libpq quotes every name here first (a connection is not shared).
        utf8 = conn.info.encoding == "utf-8"
        quoted = {} if utf8 else step_names(steps, conn)

        def text_of(chunk: Sequence[RenameStep]) -> bytes:
            return b";\n".join(assembled(chunk, step_names(chunk) if utf8 else quoted))

        chunks = [steps[at : at + _CHUNK] for at in range(0, len(steps), _CHUNK)]
        with ThreadPoolExecutor(1) as pool:  # the next chunk's text, meanwhile
            made = pool.map(text_of, chunks)
            start = 0
            for chunk, text in zip(chunks, made, strict=True):
                start += len(chunk)
                try:
                    conn.execute(text)
                except psycopg.Error as exc:
                    raise _StepFailed(None, exc, start, chunk) from exc
        return
    texts = statement_bytes(steps, conn)
    if not psycopg.Pipeline.is_supported():  # pragma: no cover - libpq < 14
        for number, (step, text) in enumerate(zip(steps, texts, strict=True), 1):
            try:
                conn.execute(text)
            except psycopg.Error as exc:
                raise _StepFailed(step, exc, number) from exc
        return
    ok = psycopg.pq.ExecStatus.COMMAND_OK
    for start in range(0, len(steps), _CHUNK):
        chunk = steps[start : start + _CHUNK]
        cursors: list[psycopg.Cursor[Any]] = []
        error: psycopg.Error | None = None
        try:
            with conn.pipeline():
                for text in texts[start : start + _CHUNK]:
                    cursor = conn.cursor()
                    cursors.append(cursor)
                    try:
                        cursor.execute(text)
                    except psycopg.Error as exc:
                        # Leave the block normally: psycopg logs a warning
                        # when ending a pipeline fails while an error is raised.
                        error = exc
                        break
        except psycopg.Error as exc:
            error = error or exc
        if error is not None:
            failed = next(
                (
                    n
                    for n, c in enumerate(cursors)
                    if c.pgresult is None or c.pgresult.status != ok
                ),
                len(cursors) - 1,
            )
            raise _StepFailed(chunk[failed], error, start + failed + 1) from error


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else text.strip()
