"""The report as a user sees it: headless Chromium (Debian's `chromium`, driven by
Playwright) opens the file, runs its script, sorts a table, and takes a screenshot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from synthetic_runs import synthetic_run, synthetic_store

from salbench.report.html import write_report

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium stalls on this machine's closed network.
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None,
                                reason="/usr/bin/chromium is missing (apt-get install chromium)")


def test_report_in_chromium(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    store = synthetic_store(tmp_path / "s.sqlite", 80)
    store.add(synthetic_run("pair", "nest", 99, label="<script>window.__pwned = 1</script>"))
    report = write_report(store, tmp_path / "report.html")
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=ARGS, headless=True,
            viewport={"width": 1280, "height": 900})
        try:
            page = ctx.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.resolve().as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("window.__pwned") is None  # the label did not execute
            assert page.locator("#overview-table tbody tr").count() >= 3
            assert page.locator("table.sortable").count() >= 8
            assert page.locator("svg.plot").count() >= 10
            assert page.locator("svg.plot polyline").count() > 0
            box = page.locator("svg.plot").first.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100  # actually drawn
            # sort the runs table by wall time: ascending, then descending
            table = page.locator("#runs-table")
            page.locator("details.runs summary").click()
            header = table.locator("thead th", has_text="wall s")
            # the "wall s" column, wherever it is (columns are added as runs record more)
            index = table.evaluate("t => Array.from(t.tHead.rows[0].cells)"
                                   ".findIndex(c => c.textContent.trim().startsWith('wall s'))")
            assert index >= 0
            col = (f"Array.from(t.tBodies[0].rows).map(r => r.cells[{index}]"
                   ".getAttribute('data-v'))")
            before = table.evaluate(f"t => {col}")
            header.click()
            assert header.get_attribute("aria-sort") == "ascending"
            asc = [float(v) for v in table.evaluate(f"t => {col}") if v]
            header.click()
            desc = [float(v) for v in table.evaluate(f"t => {col}") if v]
            assert asc == sorted(asc) and desc == sorted(asc, reverse=True)
            assert table.evaluate(f"t => {col}") != before
            page.locator("details.runs summary").click()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            ctx.close()
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 50_000
