"""Ahead: renames sent while drift is still judged, in the transaction apply ends.

Stage: apply (an edge: it writes). Imports psycopg, the catalog records,
plan and statements; never typer.

``fix --apply`` on one transaction spends most of its time twice over: this
process judges drift and plans, then the server runs the renames. An
:class:`Ahead` overlaps them. Drift calls :meth:`Ahead.guess` with each
finding as soon as its verdict is final, named as it would be without
collision digits (:func:`~seqcheck.drift.find_drift`'s *guess*). A guess on
a plain table (no inheritance, no partitions, no key to a partitioned
table) whose new name no object holds now is, but for collision digits, a
step the plan will make as it is: it is sent at once, in one transaction
left open (``BEGIN … READ WRITE``, ``SET LOCAL`` timeouts), by a thread
that waits on the socket (libpq's asynchronous calls) while this one
judges, a query at a time with every rename guessed meanwhile.
:func:`~seqcheck.apply.apply_plan` then ends that transaction: it keeps the
renames sent only if each is a step of the plan that no other step's names
touch, runs the rest, verifies everything as it verifies one batch and
commits; otherwise it rolls back and runs the plan as it would have. When
the plan is the renames sent (:meth:`Ahead.guessed`), the thread reads the
names after them too, while apply forecasts them: the server reads while
this process works.

Sent renames wait at most :data:`LOCK_WAIT_MS` for a lock: they come in
drift's order, not in the plan's lock order (writers' order), so a writer
waiting for one of their locks could deadlock with a later one. Giving up
first (and rolling back) means the writer never does; apply then runs the
plan in lock order with the full lock timeout and its retries.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import pq

from seqcheck.findings import Kind
from seqcheck.plan import direct_step
from seqcheck.statements import (
    assembled,
    begin_read_write,
    object_names,
    set_lock_timeout,
    set_statement_timeout,
    step_names,
    timeout_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from seqcheck.batches import LockTable
    from seqcheck.catalog import Catalog
    from seqcheck.findings import Finding, Tier
    from seqcheck.plan import RenameStep
    from seqcheck.verify import Names

__all__ = ["LOCK_WAIT_MS", "Ahead", "read_names"]

log = logging.getLogger(__name__)

#: The longest a rename sent ahead waits for a lock (see the module docstring).
LOCK_WAIT_MS = 20
#: Seconds between two reads of the results of a query sent ahead.
_NAP = 0.01
#: The kinds renamed by one statement on their own object.
_KINDS = frozenset(
    {
        Kind.SEQUENCE,
        Kind.PKEY,
        Kind.UNIQUE,
        Kind.EXCLUSION,
        Kind.INDEX,
        Kind.FKEY,
        Kind.CHECK,
        Kind.NOT_NULL,
        Kind.STATISTICS,
    }
)


class Ahead:
    """One transaction of renames sent while drift is judged; see the module.

    Made by :meth:`start`; fed by :meth:`guess`; ended by
    :func:`~seqcheck.apply.apply_plan` (:meth:`finish`, :meth:`committed`), or
    rolled back by :meth:`close`. A thread sends the renames (it waits on the
    socket, without the GIL, while this one judges): each query as soon as
    the one before is done, with every rename guessed meanwhile.
    """

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        catalog: Catalog,
        *,
        tiers: Collection[Tier],
        keep: Callable[[Finding], bool],
        lock_table: LockTable,
        statement_timeout_ms: int,
    ) -> None:
        self.conn = conn
        self.lock_table = lock_table
        self._tiers = frozenset(tiers)
        self._keep = keep
        self._timeout_ms = statement_timeout_ms
        schemas = {s.oid: s.name for s in catalog.schemas}
        self._taken = {
            (schemas.get(row.schema_oid, ""), name)
            for row in catalog.names
            for name in row.names
        }
        self._plain = _plain_tables(catalog)
        self._keys = {
            c.oid
            for c in catalog.constraints
            if c.contype == "f"
            and c.table_oid in self._plain
            and c.references_oid in self._plain
        }
        self._queue: deque[RenameStep] = deque()
        self._more = threading.Event()
        self._stop = False
        self._worker: threading.Thread | None = None
        self._ended = False
        self.sent: list[RenameStep] = []
        #: Every step queued to send, by object OID and kind.
        self.steps: dict[tuple[int, Kind], RenameStep] = {}
        self.failed: str | None = None
        self._last = False  # nothing more is guessed: see :meth:`guessed`
        #: The names read after every rename sent (:meth:`guessed`).
        self.names_after: Names | None = None

    @classmethod
    def start(
        cls,
        conn: psycopg.Connection[Any],
        catalog: Catalog,
        *,
        tiers: Collection[Tier],
        lock_table: LockTable,
        keep: Callable[[Finding], bool] | None = None,
        statement_timeout_ms: int,
    ) -> Ahead | None:
        """Return an :class:`Ahead` for *conn*, or ``None`` where it cannot help.

        ``None`` unless *conn* is idle and UTF-8 and the lock table holds a
        lock on every table, index, sequence and statistics object of
        *catalog* in one transaction (so that the plan is one batch), or
        where objects are named as text (those renames are refused).
        """
        if conn.info.encoding != "utf-8" or catalog.texts:
            return None
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return None
        objects = (
            len(catalog.tables)
            + len(catalog.indexes)
            + len(catalog.sequences)
            + len(catalog.statistics)
        )
        if objects > lock_table.budget():
            return None
        return cls(
            conn,
            catalog,
            tiers=tiers,
            keep=keep or (lambda _: True),
            lock_table=lock_table,
            statement_timeout_ms=statement_timeout_ms,
        )

    @property
    def begun(self) -> bool:
        """Tell whether anything was guessed to send (the transaction is open)."""
        return self._worker is not None

    def guess(self, finding: Finding) -> None:
        """Take a guessed finding (drift's *guess*); send its rename if it is sure."""
        if (
            finding.kind in _KINDS
            and finding.tier in self._tiers
            and finding.table_oid in self._plain
            and (finding.kind is not Kind.FKEY or finding.object_oid in self._keys)
            and (finding.schema, finding.expected) not in self._taken
            and self._keep(finding)
        ):
            self._taken.add((finding.schema, finding.expected))
            step = direct_step(finding)
            self.steps[finding.object_oid, finding.kind] = step
            self._queue.append(step)
            if self._worker is None:
                self._worker = threading.Thread(target=self._send_all, daemon=True)
                self._worker.start()
            if not self._more.is_set():
                self._more.set()

    def guessed(self) -> None:
        """Note that nothing more is guessed, and that the plan is the steps guessed.

        Once every rename sent has run, the thread reads the names after
        them (:func:`read_names`) into :attr:`names_after`, while this one
        goes on: apply then verifies the renames without reading them.
        """
        if self._worker is not None:
            self._last = True
            self._more.set()

    def finish(self) -> tuple[RenameStep, ...] | None:
        """Send what is guessed, wait; return the renames run (``None``: one failed).

        After ``None``, :meth:`close` rolls back.
        """
        self._join()
        if self.failed is not None:
            log.debug("renames sent ahead: %s", self.failed)
            return None
        return tuple(self.sent)

    def committed(self) -> None:
        """Note that apply committed the transaction."""
        self._ended = True

    def close(self) -> None:
        """Roll back what was sent, unless committed; cancel a query still running."""
        if self._ended:
            return
        self._ended = True
        self._queue.clear()  # nothing more is sent: it would be rolled back
        conn = self.conn
        if self._worker is not None and self._worker.is_alive() and not conn.closed:
            conn.cancel_safe()
        self._join()
        if self._worker is not None and not conn.closed and not conn.broken:
            conn.rollback()

    def _join(self) -> None:
        self._stop = True
        self._more.set()
        if self._worker is not None:
            self._worker.join()

    def _send_all(self) -> None:
        """Send what is guessed, a query at a time, until stopped or failed (thread).

        While one query runs, the renames guessed meanwhile are made into the
        next one, sent as soon as the server is done: it never waits for this
        thread's share of the GIL. Stopped, it sends what is left first;
        after a failure, or once closed, nothing more.
        """
        queries = 0
        running = False  # a query is sent and its results not all read
        steps: list[RenameStep] = []  # the next query's, its statements in texts
        texts: list[bytes] = []
        try:
            while True:
                self._more.clear()
                taken = [self._queue.popleft() for _ in range(len(self._queue))]
                if taken:
                    texts += self._texts(taken, first=not queries and not steps)
                    steps += taken
                if running:
                    running = not self._read_some()
                elif self.failed is not None:  # once its query's results are read
                    return
                elif steps and not self._ended:
                    self._send(steps, texts)
                    queries += 1
                    running, steps, texts = True, [], []
                elif self._last and self.names_after is None and not self._ended:
                    self.names_after = read_names(self.conn)
                elif self._stop or self._ended:
                    break
                else:
                    self._more.wait()
        except Exception as exc:  # reported by finish(), then rolled back
            self.failed = f"{type(exc).__name__}: {exc}"
        log.debug(
            "renames sent ahead: %d in %d queries, %.2f s of this thread's CPU",
            len(self.sent),
            queries,
            time.thread_time(),
        )

    def _texts(self, steps: list[RenameStep], *, first: bool) -> list[bytes]:
        """Return the statements of *steps* (after BEGIN and settings if *first*)."""
        texts = assembled(steps, step_names(steps))
        if first:
            conn = self.conn
            texts[:0] = [
                begin_read_write().as_bytes(conn),
                set_lock_timeout(timeout_text(LOCK_WAIT_MS)).as_bytes(conn),
                set_statement_timeout(self._timeout_ms).as_bytes(conn),
            ]
        return texts

    def _send(self, steps: list[RenameStep], texts: list[bytes]) -> None:
        """Send *texts*, the statements of *steps*, as one query."""
        pgconn = self.conn.pgconn
        self.sent += steps
        self.names_after = None  # read again after these, if they are the last
        pgconn.send_query(b";\n".join(texts))
        while pgconn.flush():  # non-blocking: the rest when the socket takes it
            select.select([], [pgconn.socket], [])

    def _read_some(self) -> bool:
        """Read the results that came; tell whether the query is done.

        Results come one per statement: read a few times a second, not as
        each arrives, not to take the GIL as often.
        """
        pgconn = self.conn.pgconn
        if pgconn.is_busy():
            time.sleep(_NAP)
            select.select([pgconn.socket], [], [], _NAP)
            pgconn.consume_input()
        while not pgconn.is_busy():
            result = pgconn.get_result()
            if result is None:
                return True
            if result.status != pq.ExecStatus.COMMAND_OK and self.failed is None:
                message = result.error_message.decode("utf-8", "replace").strip()
                self.failed = message or str(result.status)
        return False


def _plain_tables(catalog: Catalog) -> set[int]:
    """Return the OIDs of ordinary tables outside any inheritance or partitioning."""
    parents = {p for t in catalog.tables for p in t.parents}
    return {
        t.oid
        for t in catalog.tables
        if t.relkind == "r"
        and not t.is_partition
        and not t.parents
        and t.oid not in parents
        and not t.from_extension
    }


def read_names(conn: psycopg.Connection[Any]) -> Names:
    """Return every name :func:`~seqcheck.statements.object_names` lists.

    As a set of the rows as read (binary): two reads compare in C.
    """
    with conn.cursor(binary=True) as cur:
        return set(cur.execute(object_names()).fetchall())
