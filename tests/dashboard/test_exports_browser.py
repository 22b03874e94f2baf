"""The "Exportar" page in a real headless Chromium: the file is made on the click (Streamlit's
deferred download), served, and is the workbook `allpfit export leads` writes."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from allpfit.dashboard import texts
from tests.dashboard.builder import Expected
from tests.dashboard.test_browser import page, server  # noqa: F401


def test_exportar_downloads_the_lead_workbook(
    server: tuple[str, Expected],  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    base, expected = server
    page.goto(f"{base}/exportar", wait_until="domcontentloaded")
    expect(page.get_by_text(texts.EXPORT_TITLE, exact=True)).to_be_visible(timeout=60_000)
    radios = page.get_by_test_id("stRadio")  # not the menu's "Leads" page
    radios.get_by_text(texts.EXPORT_KINDS["leads"], exact=True).click()
    radios.get_by_text(texts.EXPORT_FORMATS["xlsx"], exact=True).click()
    label = texts.EXPORT_BUTTON.format(kind="Leads", fmt=texts.EXPORT_FORMATS["xlsx"])
    button = page.get_by_role("button", name=label)
    expect(button).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    assert download.value.suggested_filename.startswith("leads_")
    saved = tmp_path / "leads.xlsx"
    download.value.save_as(saved)
    rows = [[c.value for c in row] for row in load_workbook(saved)["Leads"].iter_rows()]
    assert rows[0][:2] == ["conversation_id", "display_id"]
    assert len(rows) - 1 == expected.lead_rows
    names = {dict(zip(rows[0], r, strict=True))["contact_name"] for r in rows[1:]}
    assert {"Ana Souza", "Bruno Lima", "Carla Dias"} <= names
