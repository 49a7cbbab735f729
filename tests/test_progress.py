"""The progress line: drawn on a terminal only, cleared after each step."""

from __future__ import annotations

import io

from seqcheck.progress import Progress


def test_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    assert not progress.active
    with progress.step("starting PostgreSQL"):
        progress.update("loading x.sql (50%)")
    assert stream.getvalue() == ""
    assert not Progress(None).active


def test_draws_and_clears_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, force=True)
    progress.width = 40
    with progress.step("starting PostgreSQL"):
        progress.update("too soon: rate-limited")
    with progress.step("loading " + "x" * 60):
        pass
    text = stream.getvalue()
    assert text.startswith("\r\x1b[Kseqcheck: starting PostgreSQL\r\x1b[K")
    assert "too soon" not in text
    assert "\r\x1b[Kseqcheck: loading xxx" in text
    assert text.endswith("…\r\x1b[K")
    assert all(len(part) <= 40 for part in text.split("\r\x1b[K"))


def test_a_broken_terminal_turns_it_off() -> None:
    stream = io.StringIO()
    progress = Progress(stream, force=True)
    stream.close()
    progress.update("x")
    assert not progress.active
