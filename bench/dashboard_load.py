"""Many people at once: N real browser sessions on the dashboard against one session.

    .venv/bin/python bench/dashboard_load.py                     # 50 sessions, 100,000 convs
    .venv/bin/python bench/dashboard_load.py --sessions 5 --conversations 10000   # quick run

Everything runs on a private embedded PostgreSQL in a temporary folder, loaded with bench/
dashboard.py's synthetic conversations (a year of them, AI profiles for 80 %, CRM matches).
`allpfit dashboard --no-browser` serves it as the browser tests start it (no login; with
`--login` behind the shared password DASHBOARD_PASSWORD, every session logging in), and
Playwright drives Debian's Chromium (/usr/bin/chromium, see the Makefile): one browser, one
context (its own cookies and Streamlit session) per person.

Each session, as a person would: opens the dashboard (and logs in), waits for the overview's
KPI cards ("kpis": from opening the page, or from the click on Entrar, to the first card's
value on screen) and its
funnel chart ("overview": to the chart, drawn by Plotly in the browser), clicks
Leads in the sidebar and waits for the lead table and its counter ("leads"), types a name in
the name filter and waits for the counter to change ("filter"). The same steps are timed:

1. one session on a cold server (the first visit fills Streamlit's cache; printed only);
2. one session on the warm server: the baseline of every ratio;
3. `--sessions` sessions started together; p50 and p95 of each step, and ratios to 2.

Each concurrent session filters by one of bench/dashboard.py's first names (a few share one,
as colleagues asking for the same lead do), so part of the filter queries are cache hits.
The CPU seconds the dashboard (Streamlit) and the browser spent during the concurrent visits
are printed too: on one machine they compete, and only the first is the server's cost.
The server's memory is the resident set (RSS) of the Streamlit process and its children
(psutil), sampled every 200 ms: before any visit, after the single sessions, the peak during
the concurrent ones, and after them. Browser and server share the machine (2 cores here): the
figures include Chromium's own rendering of N pages. The script asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import psutil
import psycopg
from playwright.async_api import Browser, Page, async_playwright, expect

from allpfit import db, embedded
from allpfit.dashboard import texts
from allpfit.embedded import with_database
from dashboard import FIRST, TZ, load  # bench/dashboard.py

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "bench-s3nha"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
COUNTER = re.compile(r"página \d+ de \d+")
STEPS = ("kpis", "overview", "leads", "filter")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_dashboard(url: str, workdir: Path, login: bool) -> tuple[subprocess.Popen[bytes], str]:
    """`allpfit dashboard --no-browser` on a free port (behind PASSWORD with `login`); waits
    until healthy."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DASHBOARD_"))}
    env |= {
        "DATABASE_URL": url,
        "DATA_DIR": str(workdir / "data-app"),
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    }
    if login:
        env["DASHBOARD_PASSWORD"] = PASSWORD
    log = (workdir / "dashboard.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "allpfit", "dashboard", "--no-browser", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped whole at the end
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/_stcore/health", timeout=2).status_code == 200:
                return process, base
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("dashboard did not start:\n" + (workdir / "dashboard.log").read_text())
        time.sleep(0.3)


def stop_dashboard(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its living children."""
    try:
        main = psutil.Process(pid)
        procs = [main, *main.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def browser_cpu_seconds() -> float:
    """CPU seconds of this script's finished children (Playwright's driver and Chromium,
    counted once they exit)."""
    usage = os.times()
    return usage.children_user + usage.children_system


def rss(pid: int) -> int:
    """Resident bytes of `pid` and its children (the dashboard execs into Streamlit)."""
    try:
        main = psutil.Process(pid)
        procs = [main, *main.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


class Sampler:
    """The peak RSS of `pid` while running (every `every` seconds, in a thread)."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Visit:
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None


async def visit(browser: Browser, base: str, name: str, timeout_s: float, login: bool) -> Visit:
    """One person: (log in,) overview, leads, filter by `name` (see the module docstring)."""
    out = Visit()
    timeout = timeout_s * 1000
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="pt-BR")
    try:
        page: Page = await context.new_page()
        started = time.perf_counter()
        await page.goto(base, wait_until="domcontentloaded", timeout=timeout)
        if login:
            await page.get_by_label(texts.LOGIN_PASSWORD).fill(PASSWORD, timeout=timeout)
            started = time.perf_counter()
            await page.get_by_role("button", name=texts.LOGIN_BUTTON).click(timeout=timeout)
        card = page.get_by_test_id("stMetric").filter(has_text=texts.KPI_CONTACTS)
        await expect(card.get_by_test_id("stMetricValue")).to_be_visible(timeout=timeout)
        out.seconds["kpis"] = time.perf_counter() - started
        await expect(page.get_by_text(texts.CHART_FUNNEL).first).to_be_visible(timeout=timeout)
        out.seconds["overview"] = time.perf_counter() - started

        started = time.perf_counter()
        nav = page.get_by_test_id("stSidebarNav").get_by_role("link", name=texts.PAGE_LEADS)
        await nav.click(timeout=timeout)
        counter = page.get_by_text(COUNTER).first
        await expect(counter).to_be_visible(timeout=timeout)
        await expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=timeout)
        out.seconds["leads"] = time.perf_counter() - started

        before = await counter.inner_text(timeout=timeout)
        started = time.perf_counter()
        box = page.get_by_role("textbox", name=texts.FILTER_NAME)
        await box.fill(name, timeout=timeout)
        await box.press("Enter", timeout=timeout)
        await expect(page.get_by_text(COUNTER).first).not_to_have_text(before, timeout=timeout)
        await expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=timeout)
        out.seconds["filter"] = time.perf_counter() - started
    except Exception as exc:  # reported with the figures: a failed visit is a result too
        out.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        await context.close()
    return out


async def visits(
    base: str, names: list[str], timeout_s: float, login: bool
) -> tuple[list[Visit], float]:
    """The visits of `names`, all started together in one browser; and the wall time."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            started = time.perf_counter()
            done = await asyncio.gather(*(visit(browser, base, n, timeout_s, login) for n in names))
            return list(done), time.perf_counter() - started
        finally:
            await browser.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(q * len(ordered)) - 1)]


def summary(label: str, done: list[Visit]) -> dict[str, tuple[float, float]]:
    """{step: (p50, p95)} over the visits that finished it; prints a line per step."""
    figures = {}
    failed = [v.error for v in done if v.error]
    for step in STEPS:
        values = [v.seconds[step] for v in done if step in v.seconds]
        if not values:
            continue
        figures[step] = (statistics.median(values), percentile(values, 0.95))
        print(
            f"  {label:<22} {step:<9} p50 {figures[step][0]:6.2f} s  "
            f"p95 {figures[step][1]:6.2f} s  ({len(values)} of {len(done)})"
        )
    for error in failed[:5]:
        print(f"  {label}: FAILED {error}")
    if len(failed) > 5:
        print(f"  {label}: ... {len(failed) - 5} more failed")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50, help="concurrent browser sessions")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=180, help="seconds for each step")
    parser.add_argument(
        "--login", action="store_true", help="behind the shared password: every session logs in"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: `make chromium` (apt-get install -y chromium)")
    if not 1 <= args.sessions <= 200:
        raise SystemExit("--sessions must be 1 to 200")
    workdir = Path(tempfile.mkdtemp(prefix="allpfit-bench-load-"))
    today = datetime.now(TZ).date()
    process = None
    try:
        admin = embedded.server_url(workdir / "data")
        db.ensure_database(admin, "bench")
        url = with_database(admin, "bench")
        with psycopg.connect(url, autocommit=True) as conn:
            db.upgrade(conn)
        began = time.perf_counter()
        load(url, args.conversations, today)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        print(f"Loaded {args.conversations:,} conversations in {time.perf_counter() - began:.1f} s")
        process, base = start_dashboard(url, workdir, args.login)
        mib = 2**20
        idle = rss(process.pid)
        print(f"Dashboard up; Streamlit RSS {idle / mib:,.0f} MiB before any visit")
        names = [FIRST[i % len(FIRST)].lower()[:4] for i in range(args.sessions)]

        cold, _ = asyncio.run(visits(base, names[:1], args.timeout, args.login))
        summary("1 session, cold cache", cold)
        with Sampler(process.pid) as one_peak:
            single, _ = asyncio.run(visits(base, names[:1], args.timeout, args.login))
        one = summary("1 session, warm", single)
        after_one = rss(process.pid)
        server_before, browser_before = cpu_seconds(process.pid), browser_cpu_seconds()
        with Sampler(process.pid) as many_peak:
            crowd, wall = asyncio.run(visits(base, names, args.timeout, args.login))
        server_cpu = cpu_seconds(process.pid) - server_before
        browser_cpu = browser_cpu_seconds() - browser_before
        many = summary(f"{args.sessions} sessions at once", crowd)
        after_many = rss(process.pid)
        print(f"  {args.sessions} sessions took {wall:.1f} s from first start to last step")
        print(
            f"  CPU during them: dashboard (Streamlit) {server_cpu:.1f} s = "
            f"{server_cpu / args.sessions:.2f} s a session; Chromium and driver "
            f"{browser_cpu:.1f} s; {os.cpu_count()} cores x {wall:.0f} s = "
            f"{(os.cpu_count() or 1) * wall:.0f} core-seconds available (shared)"
        )
        print("Ratios, concurrent / one session:")
        for step in STEPS:
            if step in one and step in many:
                base_s = one[step][0]
                print(
                    f"  {step:<9} p50 {many[step][0] / base_s:5.1f}x  "
                    f"p95 {many[step][1] / base_s:5.1f}x  (of the single session's "
                    f"{base_s:.2f} s)"
                )
        print(
            f"Streamlit RSS: idle {idle / mib:,.0f} MiB; one session peak "
            f"{one_peak.peak / mib:,.0f} MiB (after {after_one / mib:,.0f}); {args.sessions} "
            f"sessions peak {many_peak.peak / mib:,.0f} MiB (after {after_many / mib:,.0f}); "
            f"peak ratio {many_peak.peak / max(one_peak.peak, 1):.2f}x, "
            f"{(many_peak.peak - after_one) / max(args.sessions, 1) / mib:,.1f} MiB a session"
        )
    finally:
        if process is not None:
            stop_dashboard(process)
        if args.keep:
            print(f"Kept {workdir}")
        else:
            embedded.stop(workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
