"""Processes of throwaway servers: found by their temp dir, stopped, checked.

Stage: a helper of :mod:`seqcheck.embedded`; imports only the standard library.
Each temp dir holds an ``owner`` file: the pid and start time of the process
that made it, so :func:`remove_orphans` can tell a crashed run's server.
A server's processes are those whose working directory or executable lies in
its temp dir (PostgreSQL runs in its data dir), so they are found even when
``postmaster.pid`` was never written.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

__all__ = [
    "PREFIX",
    "SHM",
    "processes_in",
    "remove_orphans",
    "start_time",
    "stop_processes_in",
]

log = logging.getLogger(__name__)

PREFIX = "seqcheck-pg-"
"""Name prefix of every server temp dir, then the owner's process id and ``-``."""

SHM = Path("/dev/shm")


def start_time(pid: int) -> str | None:
    """Return a live process's start time (``""`` if unknown), or ``None``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except OSError:
            pass
        return ""
    fields = stat.rpartition(")")[2].split()
    return None if fields[0] == "Z" else fields[19]


def processes_in(root: Path) -> set[int]:
    """Return the live processes whose cwd or executable lies inside `root`."""
    found: set[int] = set()
    prefix = f"{root}/"
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:
        entries = []
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        for link in ("cwd", "exe"):
            try:
                target = (entry / link).readlink()
            except OSError:
                continue
            if f"{target}/".startswith(prefix):
                found.add(int(entry.name))
                break
    if not entries:  # no /proc: trust the pid file
        try:
            pid = int((root / "data/postmaster.pid").read_text().split()[0])
            os.kill(pid, 0)
            found.add(pid)
        except (OSError, ValueError, IndexError):
            pass
    return found


def stop_processes_in(root: Path, grace: float = 5.0) -> None:
    """Quit what runs inside `root`; kill it after `grace` seconds."""
    deadline = time.monotonic() + grace
    quitted: set[int] = set()
    while pids := processes_in(root):
        late = time.monotonic() > deadline
        if late and time.monotonic() > deadline + grace:
            log.warning("processes %s in %s would not die", sorted(pids), root)
            return
        for pid in pids - (set() if late else quitted):
            try:
                os.kill(pid, signal.SIGKILL if late else signal.SIGQUIT)
            except OSError:
                continue
            quitted.add(pid)
        time.sleep(0.01)


def remove_orphans() -> int:
    """Stop servers left by dead processes and remove their temp dirs.

    Only temp dirs whose owning process (by pid and start time) is gone count.

    :return: how many temp dirs were removed.
    """
    removed = 0
    for parent in {SHM, Path(tempfile.gettempdir())}:
        for root in parent.glob(f"{PREFIX}*"):
            try:
                if os.geteuid() != 0 and root.stat().st_uid != os.geteuid():
                    continue
                owner = (root / "owner").read_text().split()
            except FileNotFoundError:
                owner = [root.name.removeprefix(PREFIX).partition("-")[0]]
            except OSError:
                continue
            if not owner or not owner[0].isdigit():
                continue
            started = start_time(int(owner[0]))
            if started is not None and (started == "" or owner[1:] in ([], [started])):
                continue  # the owner still runs
            log.info("removing orphaned server dir %s", root)
            stop_processes_in(root)
            shutil.rmtree(root, ignore_errors=True)
            removed += 1
    return removed
