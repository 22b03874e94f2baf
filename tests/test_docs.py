"""The docs stay true: every setting is documented and present in .env.example."""

from __future__ import annotations

from pathlib import Path

import pytest

from allpfit.config import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_and_in_env_example(name: str) -> None:
    variable = name.upper()
    assert f"`{variable}`" in (ROOT / "docs" / "configuration.md").read_text()
    assert variable in (ROOT / ".env.example").read_text()
