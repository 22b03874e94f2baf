"""A rich progress bar that core jobs drive through their `progress(phase, done, total)`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
from allpfit.sync.load import Progress as ProgressFn

LABELS = {"extract": "Extracting conversations", "load": "Merging into the local table"}


@contextmanager
def progress_bar(labels: dict[str, str] | None = None) -> Iterator[ProgressFn]:
    """Yield a progress callback that shows one bar per phase (quiet when not a terminal)."""
    names = {**LABELS, **(labels or {})}
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def update(phase: str, done: int, total: int | None) -> None:
        if phase not in tasks:
            for other in tasks.values():
                task = bar.tasks[other]
                bar.update(other, total=task.completed or 1, completed=task.completed or 1)
            tasks[phase] = bar.add_task(names.get(phase, phase), total=total)
        bar.update(tasks[phase], completed=done, total=total)

    with bar:
        yield update
        for task_id in tasks.values():
            task = bar.tasks[task_id]
            bar.update(task_id, total=task.completed or 1, completed=task.completed or 1)
