"""The CLI's progress bars: a human label for every phase, one bar per phase, in run order."""

from __future__ import annotations

import io

from rich.console import Console

from allpfit.cli.progress import LABELS, label, progress_bar

# What `allpfit demo` reports, in order (tests/cli/test_demo.py records the real sequence).
DEMO = ["generate", "index", "statistics", "read", "extract", "load", "analyze"]


def _render(events: list[tuple[str, int, int | None]]) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    with progress_bar(console=console) as progress:
        for phase, done, total in events:
            progress(phase, done, total)
    return out.getvalue()


def test_every_phase_has_its_own_human_label() -> None:
    labels = [LABELS[phase] for phase in DEMO]
    assert len(set(labels)) == len(labels)
    assert all(
        text[0].isupper() and text != phase for text, phase in zip(labels, DEMO, strict=True)
    )
    assert LABELS["statistics"] != LABELS["analyze"] == "Analysing leads"
    assert label("some_new_phase") == "Some new phase"  # never a raw key


def test_bars_show_once_each_in_the_order_the_phases_ran() -> None:
    events: list[tuple[str, int, int | None]] = [("generate", 0, 80), ("generate", 80, 80)]
    events += [(phase, 0, None) for phase in DEMO[1:]]
    events += [("analyze", 40, 80), ("analyze", 80, 80)]
    final = _render(events).rsplit("\x1b[2K", 1)[-1]  # rich's last redraw of the bars
    bars = [line for line in final.splitlines() if "━" in line]
    assert [line.split("━")[0].strip() for line in bars] == [LABELS[phase] for phase in DEMO]
    assert "80/80" in bars[0] and "80/80" in bars[-1]
