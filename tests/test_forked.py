"""Forked: a computation in a child process, its result, its failure, its end."""

from __future__ import annotations

import os
import time

import pytest

from seqcheck import forked
from seqcheck.forked import ChildFailed, Forked


@pytest.fixture(params=["fork", "thread"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each test with a child process and with the thread fallback."""
    if request.param == "thread":
        monkeypatch.setattr(forked, "_can_fork", lambda: False)
    return str(request.param)


def test_result_comes_back(way: str) -> None:
    big = {n: str(n) * 20 for n in range(100_000)}  # megabytes: beyond a pipe
    with Forked(lambda: {k: v + "!" for k, v in big.items()}) as job:
        got = job.result()
        assert job.result() is got  # asked twice, computed once
    assert len(got) == len(big)
    assert got[99_999] == "99999" * 20 + "!"


def test_computed_in_another_process(way: str) -> None:
    with Forked(os.getpid) as job:
        pid = job.result()
    assert (pid != os.getpid()) is (way == "fork")


def test_sees_the_objects_of_the_fork() -> None:
    seen = [1, 2, 3]
    with Forked(lambda: sum(seen)) as job:
        seen.append(4)  # after the fork: the child keeps its copy
        assert job.result() == 6


def test_failure_is_reported(way: str) -> None:
    def broken() -> int:
        raise ValueError("no such thing")

    with (
        Forked(broken) as job,
        pytest.raises(ChildFailed, match="ValueError: no such thing"),
    ):
        job.result()


def test_a_dying_child_is_reported() -> None:
    with (
        Forked(lambda: os._exit(3)) as job,
        pytest.raises(ChildFailed, match="exit status 3"),
    ):
        job.result()


def test_closing_ends_a_child_never_asked() -> None:
    job = Forked(lambda: time.sleep(60))
    pid = job._pid
    assert pid
    started = time.monotonic()
    job.close()
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):  # reaped: not our child any more
        os.waitpid(pid, os.WNOHANG)
