"""Asking like Django: a question on a terminal, the threshold without one.

Stage: the Alembic plugin's decisions. Imports the standard library, the shapes
module and the settings; writes only the question, to stderr, and only when
``alembic revision`` runs on a terminal.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from seqcheck.alembic.shapes import percent

if TYPE_CHECKING:
    from collections.abc import Callable

    from alembic.autogenerate.api import AutogenContext

    from seqcheck.alembic.settings import Settings

__all__ = ["Asker", "is_interactive", "shown", "terminal_prompt"]


def shown(schema: str | None, name: str) -> str:
    """Return a table name as the questions and notes show it."""
    return f"{schema}.{name}" if schema else name


@dataclass
class Asker:
    """Decides each candidate pair: asks on a terminal, else uses the threshold.

    Every decision leaves a note for the revision file: ``(upgrade line,
    downgrade line)``.

    :param prompt: shows a question and returns the answer; ``None`` when there
        is no terminal to ask on.
    """

    settings: Settings
    prompt: Callable[[str], str] | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)

    def __call__(  # noqa: PLR0917 - a decision is these six things
        self,
        what: str,
        old: str,
        new: str,
        score: float,
        threshold: int,
        table: str = "",
    ) -> bool:
        """Return whether *old* → *new* is a rename, and note the decision.

        :param table: for a column, its table (named as after the renames).
        """
        shown = percent(score)
        where = f"{table}." if table else ""
        pair = f"{what} {where}{old} → {new}"
        if score * 100 < threshold - 1e-9:
            self._note(
                f"{pair}: similarity {shown}%, below the {threshold}% threshold;"
                " kept as drop + create"
            )
            return False
        if self.prompt is not None:
            answer = self.prompt(
                f"Did you rename {what} {where}{old} to {new}"
                f" (similarity {shown}%)? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                self._note(f"{pair}: similarity {shown}%, not a rename (you said)")
                return False
            how = "confirmed"
        else:
            how = f"threshold {threshold}%, taken without asking: no terminal"
        self.notes.append(
            (
                f"{what} {where}{old} renamed to {new} (similarity {shown}%; {how})",
                f"{what} {where}{new} renamed back to {old}",
            )
        )
        return True

    def _note(self, text: str) -> None:
        self.notes.append((text, text))


def terminal_prompt(question: str) -> str:
    """Ask *question* on the terminal (stderr) and return the answer line."""
    sys.stderr.write(question)
    sys.stderr.flush()
    return sys.stdin.readline()


def is_interactive(autogen_context: AutogenContext, settings: Settings) -> bool:
    """Tell whether to ask: ``alembic revision`` on a terminal (not ``ask = never``)."""
    if settings.ask == "never":
        return False
    config = autogen_context.migration_context.config
    command = getattr(getattr(config, "cmd_opts", None), "cmd", None)
    if not command or getattr(command[0], "__name__", "") != "revision":
        return False
    return sys.stdin.isatty()
