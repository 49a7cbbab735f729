"""psql scripts split as psql splits them: what a schema file needs and does."""

from __future__ import annotations

from pathlib import Path

from seqcheck.psqlscript import (
    Script,
    creates_roles,
    icu_collations,
    include_target,
    mentioned_roles,
    read_script,
)

HERE = Path("/schemas/app.sql")


def _read(text: str) -> Script:
    return read_script(HERE, text)


def test_statements_lines_and_keyword_lines() -> None:
    script = _read(
        "-- a comment; not a statement\n"
        "CREATE TABLE a (id int);\n"
        "\n"
        "/* kept by psql */\n"
        "CREATE TABLE b (\n"
        "  x text DEFAULT 'a;b' -- ; here\n"
        ");\n"
        "SELECT 1; SELECT 2;\n"
    )
    lines = [(s.line, s.keyword_line, s.end_line) for s in script.statements]
    assert lines == [(2, 2, 2), (4, 5, 7), (8, 8, 8), (8, 8, 8)]
    assert script.statement_ending_at(7) is script.statements[1]
    assert script.statement_ending_at(8) is script.statements[3]
    assert script.statement_ending_at(3) is None
    assert "a;b" not in script.statements[1].code
    assert all(len(s.code) == s.end - s.start for s in script.statements)


def test_literals_dollar_quotes_and_routine_bodies_hide_their_words() -> None:
    script = _read(
        "CREATE FUNCTION f() RETURNS void AS $body$\n"
        "BEGIN EXECUTE 'GRANT x TO ghost; CREATE DATABASE nope'; END\n"
        "$body$ LANGUAGE plpgsql;\n"
        "SELECT E'it\\'s; GRANT ALL ON t TO ghost2', $$;$$, $1;\n"
        "CREATE PROCEDURE p() BEGIN ATOMIC\n"
        "  SELECT CASE WHEN true THEN 1 END; SELECT 2;\n"
        "END;\n"
        'CREATE TABLE "we;ird" (id int);\n'
    )
    assert [s.keyword_line for s in script.statements] == [1, 4, 5, 8]
    assert mentioned_roles(script) == []
    assert "ghost" not in "".join(s.code for s in script.statements)


def test_copy_data_is_skipped() -> None:
    script = _read(
        "COPY t (a, b) FROM stdin;\n"
        "it's\t-- not a comment; GRANT x TO y\n"
        "/* no\tcomment\n"
        "\\.\n"
        "ALTER TABLE t OWNER TO app;\n"
        "\\copy t from stdin\n"
        "'\t$$\n"
        "\\.\n"
        "SELECT 1;\n"
    )
    assert [s.line for s in script.statements] == [1, 5, 9]
    assert mentioned_roles(script) == ["app"]
    assert [m.name for m in script.metas] == ["copy"]


def test_meta_commands_and_includes(tmp_path: Path) -> None:
    script = read_script(
        tmp_path / "top.sql",
        "\\set ON_ERROR_STOP 1\n"
        "\\ir sub/one.sql\n"
        "\\i 'two words.sql'\n"
        "\\include :file\n"
        "SELECT 1 \\gset\n"
        "\\c other\n",
    )
    assert [(m.line, m.name) for m in script.metas] == [
        (1, "set"),
        (2, "ir"),
        (3, "i"),
        (4, "include"),
        (5, "gset"),
        (6, "c"),
    ]
    cwd = Path("/cwd")
    targets = [include_target(m, script.path, cwd) for m in script.metas]
    assert targets == [
        None,
        tmp_path / "sub/one.sql",
        cwd / "two words.sql",
        None,
        None,
        None,
    ]
    assert len(script.statements) == 1


def test_roles_mentioned_and_created() -> None:
    script = _read(
        "CREATE ROLE made_here;\n"
        'ALTER TABLE t OWNER TO "App Owner";\n'
        "ALTER SCHEMA s OWNER TO app_owner;\n"
        "GRANT SELECT, INSERT ON t, u TO reader, GROUP Writers WITH GRANT OPTION;\n"
        "REVOKE ALL ON t FROM PUBLIC, auditor;\n"
        "GRANT made_here TO member;\n"
        "SET ROLE runner;\n"
        "SET SESSION AUTHORIZATION DEFAULT;\n"
        "CREATE SCHEMA s2 AUTHORIZATION schema_boss;\n"
        "ALTER DEFAULT PRIVILEGES FOR ROLE definer IN SCHEMA s"
        " GRANT SELECT ON TABLES TO current_user;\n"
        "CREATE POLICY p ON t FOR SELECT TO viewer USING (true);\n"
        "GRANT pg_read_all_data TO member;\n"
        "COMMENT ON TABLE t IS 'OWNER TO nobody_here';\n"
    )
    assert mentioned_roles(script) == [
        "App Owner",
        "app_owner",
        "reader",
        "writers",
        "auditor",
        "member",
        "runner",
        "schema_boss",
        "definer",
        "viewer",
    ]
    assert creates_roles(script) == {"made_here"}


def test_icu_collations_become_libc_with_lines_kept() -> None:
    text = (
        "SET search_path = app;\n"
        "CREATE COLLATION app (\n"
        "    provider = icu,\n"
        "    locale = '@colCaseFirst=lower;colNumeric=yes',\n"
        "    deterministic = false\n"
        ");\n"
        'CREATE COLLATION german FROM "de-x-icu";\n'
        'CREATE TABLE t (a text COLLATE pg_catalog."und-x-icu", b text COLLATE "C");\n'
        "CREATE COLLATION plain (provider = libc, locale = 'C');\n"
    )
    script = _read(text)
    edits = icu_collations(script)
    assert len(edits) == 3
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    assert text.splitlines() == [
        "SET search_path = app;",
        "CREATE COLLATION app (provider = libc, locale = 'C'",
        "",
        "",
        "",
        ");",
        'CREATE COLLATION german FROM "C";',
        'CREATE TABLE t (a text COLLATE "C", b text COLLATE "C");',
        "CREATE COLLATION plain (provider = libc, locale = 'C');",
    ]


def test_unterminated_things_end_at_the_end() -> None:
    for text in ("SELECT 'open", "SELECT $x$ open", "/* open", 'SELECT "open', "\\"):
        script = _read(text)
        assert len(script.statements) <= 1
