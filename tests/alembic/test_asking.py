"""Deciding like Django: asking on a terminal, the threshold without one, settings.

``[tool.seqcheck.alembic]`` (threshold, off, ask, per-table overrides) is read
from the config file found from the working directory.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from seqcheck.alembic.ask import Asker
from seqcheck.alembic.settings import Settings, TableSettings, load_settings, parse
from seqcheck.errors import SeqcheckError
from tests.alembic.project import Project, sqlalchemy_url

if TYPE_CHECKING:
    from pathlib import Path

    from tests.fix_server import TestDB


def test_settings_parse_with_defaults_and_overrides() -> None:
    assert parse("x", {}) == Settings()
    found = parse(
        "x",
        {
            "threshold": 70,
            "ask": "never",
            "tables": {"audit_*": {"off": True}, "orders": {"threshold": 90}},
        },
    )
    assert found.threshold_for(None, "marathon", "snickers") == 70
    assert found.threshold_for(None, "orders", "orders_v2") == 90
    assert found.threshold_for("app", "app.orders") == 70
    assert found.off_for(None, "audit_log")
    assert not found.off_for(None, "marathon")
    assert found.tables[0] == TableSettings("audit_*", None, True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"treshold": 50}, "unknown key 'treshold'"),
        ({"threshold": 0}, "'threshold' must be a percentage"),
        ({"threshold": True}, "'threshold' must be a percentage"),
        ({"off": "yes"}, "'off' must be true or false"),
        ({"ask": "always"}, "'ask' 'always' is not one of auto, never"),
        ({"tables": {"t": {"of": True}}}, "x.tables.t: unknown key 'of'"),
        ({"tables": []}, "'tables' must be a table of globs"),
    ],
)
def test_settings_errors_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(SeqcheckError) as caught:
        parse("x", data)
    assert caught.value.message.startswith("x")
    assert message in caught.value.message


def test_settings_are_read_from_pyproject_or_seqcheck_toml(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()
    (tmp_path / "pyproject.toml").write_text(
        "[tool.seqcheck.alembic]\nthreshold = 80\n", encoding="utf-8"
    )
    assert load_settings(tmp_path).threshold == 80
    (tmp_path / "seqcheck.toml").write_text("[alembic]\noff = true\n", encoding="utf-8")
    assert load_settings(tmp_path).off


def test_the_asker_asks_and_notes_what_was_answered() -> None:
    asked: list[str] = []
    answers = iter(["y\n", "\n"])

    def prompt(question: str) -> str:
        asked.append(question)
        return next(answers)

    asker = Asker(Settings(), prompt)
    assert asker("table", "marathon", "snickers", 1.0, 50)
    assert not asker("column", "weight_g", "grams", 0.83, 50, "snickers")
    assert not asker("table", "a", "b", 0.4, 50)  # below the threshold: not asked
    assert asked == [
        "Did you rename table marathon to snickers (similarity 100%)? [y/N] ",
        "Did you rename column snickers.weight_g to grams (similarity 83%)? [y/N] ",
    ]
    assert [note for note, _ in asker.notes] == [
        "table marathon renamed to snickers (similarity 100%; confirmed)",
        "column snickers.weight_g → grams: similarity 83%, not a rename (you said)",
        "table a → b: similarity 40%, below the 50% threshold; kept as drop + create",
    ]
    assert asker.notes[0][1] == "table snickers renamed back to marathon"


def test_without_a_terminal_the_threshold_decides() -> None:
    asker = Asker(Settings())
    assert asker("table", "marathon", "snickers", 0.5, 50)
    assert not asker("table", "a", "b", 0.49, 50)
    assert "taken without asking: no terminal" in asker.notes[0][0]


@pytest.fixture
def project(tmp_path: Path, db: TestDB) -> Project:
    found = Project.copy(tmp_path, db)
    found.upgrade()
    found.rename_in_models(("Marathon", "Snickers"), ("marathon", "snickers"))
    return found


@pytest.mark.pg(">=18")
def test_off_in_the_config_keeps_drop_and_create(project: Project) -> None:
    (project.root / "seqcheck.toml").write_text("[alembic]\noff = true\n")
    text = project.revision("snickers", "0002")
    assert "drop_table" in text
    assert "rename_table" not in text


@pytest.mark.pg(">=18")
def test_a_per_table_threshold_applies(project: Project) -> None:
    (project.root / "seqcheck.toml").write_text(
        '[alembic.tables]\n"snickers" = { threshold = 100 }\n'
    )
    project.rename_in_models(("weight_g", "grams"))
    text = project.revision("snickers", "0002")
    assert "below the 100% threshold" in text
    assert "rename_table" not in text


ALEMBIC = (sys.executable, "-m", "alembic")


def alembic_on_a_terminal(project: Project, answer: str) -> str:
    """Run ``alembic revision --autogenerate`` with a terminal as stdin."""
    master, slave = pty.openpty()
    os.write(master, answer.encode())
    env = dict(os.environ, DATABASE_URL=sqlalchemy_url(project.db))
    try:
        done = subprocess.run(
            [*ALEMBIC, "revision", "--autogenerate", "--rev-id", "0002", "-m", "x"],
            stdin=slave,
            capture_output=True,
            text=True,
            cwd=project.root,
            env=env,
            timeout=120,
            check=False,
        )
    finally:
        os.close(slave)
        os.close(master)
    assert done.returncode == 0, done.stderr
    assert (
        "Did you rename table marathon to snickers (similarity 100%)? [y/N] "
        in done.stderr
    )
    (path,) = project.versions.glob("0002_*.py")
    return path.read_text(encoding="utf-8")


@pytest.mark.pg(">=18")
@pytest.mark.parametrize("answer", ["y\n", "n\n"])
def test_on_a_terminal_each_pair_is_confirmed(project: Project, answer: str) -> None:
    text = alembic_on_a_terminal(project, answer)
    if answer.startswith("y"):
        assert 'op.rename_table("marathon", "snickers")' in text
        assert "(similarity 100%; confirmed)" in text
    else:
        assert "rename_table" not in text
        assert "drop_table" in text
        assert "not a rename (you said)" in text
