"""Teardown: the large objects a program leaving with ``os._exit`` never frees.

Stage: a helper any stage may call; imports only the standard library.
Reference counting frees a scan's millions of objects one by one wherever
the last reference goes: on 10,000 tables, some 0.25 s as ``fix --apply``
returns from applying and 0.15 s as the command returns. The ``seqcheck``
program leaves with ``os._exit`` (:func:`seqcheck.cli.run`), which frees
nothing, so it calls :func:`keep_until_exit` first and what is given to
:func:`keep` then lives until the process ends. Anywhere else (tests, the
Alembic plugin, any library caller) :func:`keep` does nothing.
"""

from __future__ import annotations

__all__ = ["keep", "keep_until_exit"]

_kept: list[object] | None = None


def keep(*objects: object) -> None:
    """Hold *objects* until the process ends, if :func:`keep_until_exit` was called."""
    if _kept is not None:
        _kept.extend(objects)


def keep_until_exit() -> None:
    """Make :func:`keep` hold what it is given: the process ends with ``os._exit``."""
    global _kept  # noqa: PLW0603 - one switch per process
    if _kept is None:
        _kept = []
