"""Many people at once, the server alone: N Streamlit WebSocket clients, no browser.

    .venv/bin/python bench/dashboard_ws.py                       # 50 clients, 1 process
    .venv/bin/python bench/dashboard_ws.py --processes 2         # 2 dashboards, sticky

bench/dashboard_load.py drives real Chromium pages, which on one machine compete with the
server for the same cores (fifty pages cost Chromium several times the server's CPU) and each
download Streamlit's JavaScript afresh. This one measures what the dashboard process itself
can serve: the same database (bench/dashboard.py's synthetic conversations in a private
embedded PostgreSQL) and the same `allpfit dashboard --no-browser`, and per person one
WebSocket speaking Streamlit's own protocol (its protobuf BackMsg / ForwardMsg, as the
browser's frontend does) that asks for the same three page runs as dashboard_load.py's
visit: the overview ("overview"), the lead table ("leads"), the name filter ("filter", which
must change the table's counter). Each step is timed from the request to the server's
"script finished": everything the page sends is then on the wire, not yet drawn.

With `--processes K` K dashboards serve the same database and each client stays on one of them
(round robin), as behind a sticky load balancer (docs/operations.md). Printed: p50 and p95 per
step for one client on the warm servers (the baseline) and for `--clients` at once, ratios,
the server CPU a visit and its memory, PostgreSQL's CPU (every page run opens its own short
connections), and this script's own CPU: all share the machine. It asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psutil
import psycopg
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.typing import Subprotocol

from allpfit import db, embedded
from allpfit.embedded import with_database
from dashboard import FIRST, TZ, load  # bench/dashboard.py
from dashboard_load import cpu_seconds, percentile, rss, start_dashboard, stop_dashboard

STEPS = ("overview", "leads", "filter")
COUNTER = re.compile(r"[^\"\n]*página \d+ de \d+")
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
LEADS_PAGE = "leads"  # the lead table's URL path (app.py)


@dataclass
class Session:
    """What one client learnt from the server: page hashes, the filter's widget id, the
    table's counter; and its step times."""

    pages: dict[str, str] = field(default_factory=dict)
    name_widget: str | None = None
    counter: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None


async def run(ws: websockets.ClientConnection, back: BackMsg, s: Session, timeout: float) -> float:
    """Send `back` (a rerun request); read until the run finished; its seconds."""
    started = time.perf_counter()
    await ws.send(back.SerializeToString())
    while True:
        msg = ForwardMsg()
        frame = await asyncio.wait_for(ws.recv(), timeout)
        msg.ParseFromString(frame if isinstance(frame, bytes) else frame.encode())
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            s.pages = {p.url_pathname: p.page_script_hash for p in msg.new_session.app_pages}
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "text_input" and "f_nome" in element.text_input.id:
                s.name_widget = element.text_input.id
            if element.WhichOneof("type") == "markdown":  # st.caption is markdown
                found = COUNTER.search(element.markdown.body)
                if found:
                    s.counter = found.group(0)
        elif kind == "script_finished" and msg.script_finished in FINISHED:
            return time.perf_counter() - started


def postgres_cpu(data_dir: Path) -> float:
    """CPU seconds of the embedded PostgreSQL: the postmaster and its connection processes,
    those that ended included (a page run's short connections end within it)."""
    total = 0.0
    for pidfile in data_dir.rglob("postmaster.pid"):
        with contextlib.suppress(psutil.NoSuchProcess, ValueError):
            main = psutil.Process(int(pidfile.read_text().split()[0]))
            for proc in (main, *main.children(recursive=True)):
                with contextlib.suppress(psutil.NoSuchProcess):
                    t = proc.cpu_times()
                    total += t.user + t.system + t.children_user + t.children_system
    return total


def rerun(page: str, s: Session, name: str | None = None) -> BackMsg:
    back = BackMsg()
    back.rerun_script.page_name = page
    back.rerun_script.page_script_hash = s.pages.get(page, "")
    if name is not None and s.name_widget:
        widget = back.rerun_script.widget_states.widgets.add()
        widget.id = s.name_widget
        widget.string_value = name
    return back


async def visit(base: str, name: str, timeout: float) -> Session:
    s = Session()
    try:
        async with websockets.connect(
            f"{base}/_stcore/stream", subprotocols=[Subprotocol("streamlit")], max_size=2**26
        ) as ws:
            s.seconds["overview"] = await run(ws, rerun("", s), s, timeout)
            s.seconds["leads"] = await run(ws, rerun(LEADS_PAGE, s), s, timeout)
            before = s.counter
            s.seconds["filter"] = await run(ws, rerun(LEADS_PAGE, s, name), s, timeout)
            if s.counter is None or s.counter == before:
                s.error = f"the filter did not change the counter ({before!r})"
    except Exception as exc:  # a failed visit is a result too
        s.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    return s


async def visits(bases: list[str], names: list[str], timeout: float) -> tuple[list[Session], float]:
    started = time.perf_counter()
    done = await asyncio.gather(
        *(visit(bases[i % len(bases)], n, timeout) for i, n in enumerate(names))
    )
    return list(done), time.perf_counter() - started


def summary(label: str, done: list[Session]) -> dict[str, tuple[float, float]]:
    figures = {}
    for step in STEPS:
        values = [s.seconds[step] for s in done if step in s.seconds]
        if values:
            figures[step] = (statistics.median(values), percentile(values, 0.95))
            print(
                f"  {label:<22} {step:<9} p50 {figures[step][0]:6.2f} s  "
                f"p95 {figures[step][1]:6.2f} s  ({len(values)} of {len(done)})"
            )
    for error in [s.error for s in done if s.error][:5]:
        print(f"  {label}: FAILED {error}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent sessions")
    parser.add_argument("--processes", type=int, default=1, help="dashboard processes")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=180, help="seconds for each step")
    args = parser.parse_args()
    if not 1 <= args.clients <= 500 or not 1 <= args.processes <= 16:
        raise SystemExit("--clients must be 1 to 500 and --processes 1 to 16")
    workdir = Path(tempfile.mkdtemp(prefix="allpfit-bench-ws-"))
    processes = []
    try:
        admin = embedded.server_url(workdir / "data")
        db.ensure_database(admin, "bench")
        url = with_database(admin, "bench")
        with psycopg.connect(url, autocommit=True) as conn:
            db.upgrade(conn)
        load(url, args.conversations, datetime.now(TZ).date())
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        bases = []
        for i in range(args.processes):
            (workdir / f"p{i}").mkdir()
            process, base = start_dashboard(url, workdir / f"p{i}", login=False)
            processes.append(process)
            bases.append(base.replace("http://", "ws://"))
        names = [FIRST[i % len(FIRST)].lower()[:4] for i in range(args.clients)]
        mib = 2**20
        print(
            f"{args.conversations:,} conversations; {args.processes} dashboard process(es), "
            f"RSS {sum(rss(p.pid) for p in processes) / mib:,.0f} MiB before any visit"
        )
        # One visit per process fills its cache (printed only), then the warm baseline.
        summary("cold caches", asyncio.run(visits(bases, names[: len(bases)], args.timeout))[0])
        one = summary("1 client, warm", asyncio.run(visits(bases, names[:1], args.timeout))[0])
        cpu_before, client_before = sum(cpu_seconds(p.pid) for p in processes), time.process_time()
        pg_before = postgres_cpu(workdir / "data")
        crowd, wall = asyncio.run(visits(bases, names, args.timeout))
        server_cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
        client_cpu = time.process_time() - client_before
        pg_cpu = postgres_cpu(workdir / "data") - pg_before
        many = summary(f"{args.clients} clients at once", crowd)
        print(
            f"  {args.clients} clients took {wall:.1f} s; dashboard CPU {server_cpu:.1f} s = "
            f"{server_cpu / args.clients:.3f} s a visit; RSS "
            f"{sum(rss(p.pid) for p in processes) / mib:,.0f} MiB; the clients (this script, "
            f"parsing every message) {client_cpu:.1f} s of CPU; PostgreSQL {pg_cpu:.1f} s"
        )
        for step in STEPS:
            if step in one and step in many:
                print(
                    f"  {step:<9} p50 {many[step][0] / one[step][0]:5.1f}x  "
                    f"p95 {many[step][1] / one[step][0]:5.1f}x  of one client's "
                    f"{one[step][0]:.2f} s"
                )
    finally:
        for process in processes:
            stop_dashboard(process)
        embedded.stop(workdir / "data")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
