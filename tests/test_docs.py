"""The docs stay true: every setting is documented and present in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from allpfit.config import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_and_in_env_example(name: str) -> None:
    variable = name.upper()
    assert f"`{variable}`" in (ROOT / "docs" / "configuration.md").read_text()
    assert variable in (ROOT / ".env.example").read_text()


@pytest.fixture
def local_columns(local) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    rows = local.execute(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = 'public'
             AND table_name IN ('conversas_analytics', 'etl_control', 'conversas_analytics_ai')
           ORDER BY table_name, ordinal_position"""
    ).fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


def test_every_conversas_analytics_column_is_documented(local_columns) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "docs" / "data-model.md").read_text()
    documented = {line.split("`")[1] for line in text.splitlines() if line.startswith("| `")}
    assert set(local_columns["conversas_analytics"]) <= documented
    for column in local_columns["etl_control"]:
        assert f"`{column}`" in text
    for column in local_columns["conversas_analytics_ai"]:
        assert f"`{column}`" in text, column


# Names the sync composes itself (CTEs and subquery aliases), not Chatwoot tables.
COMPOSED = {"scope", "msgs", "events", "csat", "daily", "m", "lt", "unnest"}


def test_shipped_chatwoot_schema_has_every_table_the_sync_reads() -> None:
    """The package ships the Chatwoot schema the demo and the tests load; a plain clone needs
    nothing beside it. It must hold every table the extraction SQL reads."""
    from importlib import resources

    schema = (resources.files("allpfit.demo") / "chatwoot_schema.sql").read_text()
    read: set[str] = set()
    for query in (ROOT / "src" / "allpfit" / "source" / "sql").glob("*.sql"):
        read |= set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)\b", query.read_text()))
    tables = read - COMPOSED
    assert {"conversations", "messages", "contacts", "reporting_events"} <= tables
    missing = sorted(t for t in tables if f"CREATE TABLE {t} (" not in schema)
    assert missing == [], f"tables read by the sync but missing from the shipped schema: {missing}"


def test_cli_reference_is_current() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (ROOT / "docs" / "cli.md").read_text()
    assert current == module.render(), "run: .venv/bin/python scripts/gen_cli_docs.py"
