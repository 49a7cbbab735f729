"""Forecast: the names and the drift after a plan, from the scan's catalog.

Stage: apply (it forks a child process; never a connection). Imports drift,
verify, forked and teardown. :mod:`seqcheck.apply` checks a plan's transactions
against it.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from seqcheck.drift import find_drift
from seqcheck.forked import ChildFailed, Forked
from seqcheck.teardown import keep
from seqcheck.verify import Expected, expected, predicted, touched

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from seqcheck.catalog import Catalog
    from seqcheck.drift import Drift, Scope
    from seqcheck.findings import Finding
    from seqcheck.verify import Names, Rename

__all__ = ["Forecast"]

log = logging.getLogger(__name__)


class Forecast:
    """The names and the drift after the whole plan, forecast meanwhile.

    Both come from the scan's catalog as the plan leaves it
    (:func:`~seqcheck.verify.predicted`): the drift judged in a child process
    forked as apply starts (:class:`~seqcheck.forked.Forked`), on another
    core while this process checks privileges and cuts the plan and the
    server renames; the names (:func:`~seqcheck.verify.expected`) made in a
    thread once the plan is cut (:meth:`expect`).

    A plan of one batch reads no names before its renames: when the names
    read after them are exactly the forecast's (:meth:`names_hold`), every
    planned rename took effect, nothing else changed since the scan, and the
    forecast drift is the server's. Otherwise (a schema changed since the
    scan, say) the batch is rolled back and run again as batches of a longer
    plan are: names read before and after and compared
    (:func:`~seqcheck.verify.unexpected`); the forecast drift is then the
    server's when the first batch's names before are the catalog's (checked
    in a second child, :meth:`start`) and each later batch starts from the
    names the one before committed. Otherwise the last batch reads the
    catalog again and judges it.
    """

    def __init__(
        self,
        catalog: Catalog,
        done: Sequence[Rename],
        scope: Scope,
        findings: Collection[Finding] | None = None,
    ) -> None:
        self.catalog = catalog
        self.after: Catalog | None = None
        self.judged: Forked[Drift] | None = None
        try:
            after = predicted(catalog, done)
        except Exception as exc:  # a bug: the batches are then run between reads
            log.debug("the catalog after the plan was not forecast: %s", exc)
        else:
            self.after = after
            self.judged = Forked(lambda: _judged_after(after, scope, catalog, findings))
        self._pool = ThreadPoolExecutor(1)
        self.names: Future[Expected] | None = None
        self.checked: Forked[bool] | None = None
        self.committed: Names | None = None  # read after the last committed batch
        self.intact = True
        self.held = False  # the names after the plan were the forecast's

    def expect(self, done: Sequence[Rename], *, same: bool, one: bool) -> None:
        """Note the plan as batched: its renames *done*, and whether it is *one* batch.

        *same*: *done* are the renames the drift is forecast for (nothing is
        forecast otherwise; never expected). A plan of one batch has the
        names after it forecast too, in a thread from now on.
        """
        self.intact = self.intact and same
        after = self.after  # what *done* leave, when they are the *same*
        if same and one and self.names is None and after is not None:
            self.names = self._pool.submit(lambda: expected(after))

    def names_hold(self, after: Names) -> bool:
        """Tell whether *after*, read after the whole plan, are the forecast's."""
        if self.names is None:
            return False
        try:
            expected_after = self.names.result()
        except Exception as exc:  # a bug: the batch is then run between two reads
            log.debug("the names after the plan were not forecast: %s", exc)
            return False
        finally:
            self._pool.shutdown()  # no thread left when a later batch forks
        self.held = expected_after.met_by(after)
        return self.held

    def start(self, before: Names) -> None:
        """Check the first batch's names *before* against the catalog (forked)."""
        if self.checked is not None:
            self.checked.close()
        catalog = self.catalog
        self.checked = Forked(lambda: expected(catalog).met_by(before))

    def follows(self, before: Names) -> None:
        """Note a later batch's names *before*: the last batch's, or not."""
        self.intact = self.intact and before == self.committed

    def drift(self) -> Drift | None:
        """Return the forecast drift, or ``None`` if it is not the server's.

        Also ``None`` when a child failed (it was killed, say): the catalog
        is then read again.
        """
        try:
            if not self.held and (
                self.checked is None or not self.intact or not self.checked.result()
            ):
                return None
            return self.judged.result() if self.judged is not None else None
        except ChildFailed as failed:
            log.debug("the forecast failed: %s", failed)
            return None

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
        keep(self.names, self.committed)  # freed at exit, if ever
        if self.judged is not None:
            self.judged.close()
        if self.checked is not None:
            self.checked.close()


def _judged_after(
    after: Catalog,
    scope: Scope,
    before: Catalog,
    findings: Collection[Finding] | None,
) -> Drift:
    """Return the drift of *after*, the catalog as the plan leaves *before*.

    With *findings* (:func:`apply_plan`'s), only the tables the plan can
    change are judged again.
    """
    started = time.perf_counter()
    only = None if findings is None else touched(before, after, findings)
    drift = find_drift(after, scope, only=only)
    log.debug(
        "drift after the plan forecast in %.2f s (%s tables)",
        time.perf_counter() - started,
        "every" if only is None else len(only),
    )
    return drift
