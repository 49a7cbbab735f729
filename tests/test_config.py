"""Config files: discovery, every key, errors naming the file and key, precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqcheck.config import Config, Ignore, duration_ms, find_config, load_config
from seqcheck.drift import Scope
from seqcheck.errors import SeqcheckError
from seqcheck.findings import Kind, Tier
from tests.builders import finding

FULL = """
schemas = ["public", "app_*"]
exclude_schemas = ["audit"]
tables = ["orders*"]
exclude_tables = ["tmp_*"]
kinds = ["sequence", "pkey"]
strict = true
min_confidence = "certain"
lock_timeout = "500ms"
convention = "postgres"
ignore = [
  {object = "public.legacy_pkey", reason = "the ETL job names it"},
  {object = 'we"ird.%,: x', reason = "hostile but fine"},
]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "seqcheck.toml", FULL))
    assert config.schemas == ("public", "app_*")
    assert config.exclude_schemas == ("audit",)
    assert config.tables == ("orders*",)
    assert config.exclude_tables == ("tmp_*",)
    assert config.kinds == frozenset({Kind.SEQUENCE, Kind.PKEY})
    assert config.strict is True
    assert config.min_confidence is Tier.CERTAIN
    assert config.lock_timeout == "500ms"
    assert config.convention == "postgres"
    assert config.ignore == (
        Ignore("public.legacy_pkey", "the ETL job names it"),
        Ignore('we"ird.%,: x', "hostile but fine"),
    )


def test_pyproject_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.seqcheck]\nstrict = true\n")
    assert load_config(path).strict is True
    assert load_config(start=tmp_path).path == path


def test_discovery_walks_up_and_prefers_seqcheck_toml(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    outside = find_config(deep)  # nothing here; /tmp's parents hold none either
    assert outside is None or not outside.is_relative_to(tmp_path)
    top = write(tmp_path / "pyproject.toml", "[tool.seqcheck]\nschemas = ['x']\n")
    # A pyproject.toml without [tool.seqcheck] is passed over.
    write(tmp_path / "a" / "pyproject.toml", "[project]\nname = 'x'\n")
    assert find_config(deep) == top
    own = write(tmp_path / "a" / "b" / "seqcheck.toml", "strict = true\n")
    write(tmp_path / "a" / "b" / "pyproject.toml", "[tool.seqcheck]\n")
    assert find_config(deep) == own
    config = load_config(start=deep)
    assert (config.path, config.strict, config.schemas) == (own, True, None)


def test_no_file_is_an_empty_config(tmp_path: Path) -> None:
    config = load_config(start=tmp_path)
    if config.path is None:
        assert config == Config()


def test_command_line_wins(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "seqcheck.toml", FULL))
    # Nothing given on the command line: the file decides.
    scope = config.scope(Scope(), explicit=())
    assert scope.schemas == ("public", "app_*")
    assert scope.strict is True
    assert scope.min_confidence is Tier.CERTAIN
    assert scope.kinds == frozenset({Kind.SEQUENCE, Kind.PKEY})
    given = Scope(schemas=("other",), strict=False, min_confidence=Tier.LIKELY)
    scope = config.scope(given, explicit=("schemas", "strict", "min_confidence"))
    assert scope.schemas == ("other",)
    assert scope.strict is False
    assert scope.min_confidence is Tier.LIKELY
    assert scope.exclude_tables == ("tmp_*",)  # not given: still the file's
    assert Config().scope(given, explicit=()) == given


def test_ignore_matches_schema_dot_name(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "seqcheck.toml", FULL))
    legacy = finding(Kind.PKEY, "legacy_pkey", "t_pkey")
    assert config.ignores(legacy)
    assert not config.ignores(legacy._replace(schema="other"))
    assert config.ignores(finding(Kind.CHECK, "%,: x", "t_check", schema='we"ird'))
    assert not Config().ignores(legacy)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("schema = ['x']", ["unknown key 'schema'", "did you mean 'schemas'?"]),
        ("colour = 1", ["unknown key 'colour'", "known: schemas"]),
        ("schemas = 'public'", ["'schemas' must be a list of strings"]),
        ("tables = [1]", ["'tables' must be a list of strings"]),
        ("kinds = ['seq']", ["'kinds': 'seq' is not one of sequence, pkey"]),
        ("strict = 'yes'", ["'strict' must be true or false"]),
        ("min_confidence = 'custom'", ["'custom' is not one of certain, likely"]),
        ("lock_timeout = 'soon'", ["'lock_timeout' 'soon' is not a duration"]),
        ("lock_timeout = true", ["'lock_timeout' must be a duration"]),
        ("convention = 'sqlalchemy'", ["needs a 'naming_convention' table"]),
        (
            "convention = 'rails'\n[naming_convention]\npk = 'pk_%(table_name)s'",
            ["'naming_convention' goes with convention = \"sqlalchemy\""],
        ),
        (
            "[naming_convention]\nix = 'ix_%(colum_0_name)s'",
            ["naming_convention.ix: unknown token %(colum_0_name)s"],
        ),
        (
            "[naming_convention]\nidx = 'ix_%(column_0_name)s'",
            ["naming_convention: unknown key 'idx'"],
        ),
        ("convention = 'django'", ["'convention' 'django' is unknown"]),
        ("convention = [1]", ["'convention' [1] is unknown"]),
        ("ignore = 'x'", ["'ignore' must be a list of tables"]),
        ("ignore = [{object = 'x'}]", ["ignore[0]: 'object' must be \"schema.name\""]),
        ("ignore = [{object = 's.x'}]", ["ignore[0]: 'reason' must say why"]),
        (
            "ignore = [{object = 's.x', reason = 'r', why = 1}]",
            ["ignore[0]: unknown key 'why'"],
        ),
        ("strict = ", ["is not valid TOML"]),
    ],
)
def test_errors_name_the_file_and_key(
    tmp_path: Path, text: str, parts: list[str]
) -> None:
    path = write(tmp_path / "seqcheck.toml", text + "\n")
    with pytest.raises(SeqcheckError) as caught:
        load_config(path)
    shown = str(caught.value)
    assert str(path) in shown
    for part in parts:
        assert part in shown, (part, shown)


def test_errors_in_pyproject_name_the_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.seqcheck]\nstrict = 1\n")
    with pytest.raises(SeqcheckError, match=r"pyproject.toml: \[tool.seqcheck\]"):
        load_config(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(SeqcheckError, match=r"config file .* not found"):
        load_config(tmp_path / "nope.toml")


def test_durations() -> None:
    assert duration_ms("2s") == 2000
    assert duration_ms("500ms") == 500
    assert duration_ms("1.5") == 1500
    assert duration_ms("2min") == 120_000
    assert duration_ms("soon") is None
