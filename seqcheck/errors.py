"""The error family: every user-facing failure is a :class:`SeqcheckError`.

Stage: shared by every stage. ``cli.py`` alone turns these into exit code 2.
"""

from __future__ import annotations

__all__ = ["SeqcheckError"]


class SeqcheckError(Exception):
    """A failure a user can act on: one line of what, and an optional hint.

    :param message: what went wrong, one line.
    :param hint: what to try, or ``None``.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message
