"""A rich progress bar that core jobs drive through their `progress(phase, done, total)`.

Every phase key a job reports has its human label here, once (`LABELS`), so a command that runs
several jobs (the pipeline, the demo) shows each step under its own name, one bar per phase in
the order the phases ran. Phase keys are unique across jobs: the demo generator's statistics
step is "statistics", never "analyze" (the lead analysis's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from allpfit.cli.state import err_console
from allpfit.progress import Progress as ProgressFn

LABELS = {
    # demo generator (allpfit.demo.generator)
    "generate": "Generating demo conversations",
    "index": "Building Chatwoot indexes",
    "statistics": "Updating Chatwoot statistics",
    # sync (allpfit.sync)
    "extract": "Extracting conversations",
    "load": "Merging into the local table",
    # API source (allpfit.source.api_mirror): conversations copied into the tenant's mirror
    "api_conversations": "Copying Chatwoot conversations (API)",
    # lead analysis (allpfit.analysis)
    "analyze": "Analysing leads",
    # CRM (allpfit.crm): EVO API, spreadsheet import, match
    "members": "Reading EVO members",
    "sales": "Reading EVO sales",
    "store": "Saving customers",
    "read": "Reading CRM rows",
    "leads": "Reading leads",
    "customers": "Reading customers",
    "write": "Writing matches",
}


def label(phase: str, overrides: dict[str, str] | None = None) -> str:
    """The human label of a phase key; an unknown key reads as words, never as a raw key."""
    names = {**LABELS, **(overrides or {})}
    return names.get(phase) or phase.replace("_", " ").replace("-", " ").capitalize()


@contextmanager
def progress_bar(
    labels: dict[str, str] | None = None, *, console: Console | None = None
) -> Iterator[ProgressFn]:
    """Yield a progress callback that shows one bar per phase, in the order the phases start
    (quiet when not a terminal). A phase that starts completes the bars before it."""
    out = console or err_console
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
        disable=not out.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def finish(task_id: TaskID) -> None:
        task = bar.tasks[task_id]
        bar.update(task_id, total=task.completed or 1, completed=task.completed or 1)

    def update(phase: str, done: int, total: int | None) -> None:
        if phase not in tasks:
            for other in tasks.values():
                finish(other)
            tasks[phase] = bar.add_task(label(phase, labels), total=total)
        bar.update(tasks[phase], completed=done, total=total)

    with bar:
        yield update
        for task_id in tasks.values():
            finish(task_id)
