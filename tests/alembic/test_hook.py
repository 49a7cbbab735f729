"""The ``process_revision_directives`` hook: the rewrite without the plugin list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.alembic.project import Project

if TYPE_CHECKING:
    from pathlib import Path

    from tests.fix_server import TestDB


@pytest.mark.pg(">=18")
def test_the_hook_rewrites_drop_and_create_as_renames(
    tmp_path: Path, db: TestDB
) -> None:
    project = Project.copy(tmp_path, db)
    env = project.root / "migrations" / "env.py"
    text = env.read_text(encoding="utf-8")
    text = text.replace(
        "            autogenerate_plugins=PLUGINS,\n",
        "            process_revision_directives=process_revision_directives,\n",
    ).replace(
        "from snacks.models import Base\n",
        "from seqcheck.alembic.plugin import process_revision_directives\n"
        "from snacks.models import Base\n",
    )
    env.write_text(text, encoding="utf-8")
    project.upgrade()
    project.rename_in_models(("Marathon", "Snickers"), ("marathon", "snickers"))
    project.rename_in_models(("weight_g", "grams"))
    revision = project.revision("snickers", "0002")

    assert 'op.rename_table("marathon", "snickers")' in revision
    assert "new_column_name" in revision
    assert 'op.rename_index("marathon_pkey", "snickers_pkey")' in revision
    assert "drop_table" not in revision
    downgrade = revision.split("def downgrade")[1]
    assert 'op.rename_table("snickers", "marathon")' in downgrade
    assert "drop_table" not in downgrade
    project.upgrade()
    project.downgrade()
    assert "marathon_pkey" in project.names()
