"""What every command shares: the settings (loaded once, on first use) and the consoles."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console

from allpfit.config import Settings, load_settings
from allpfit.ops.logs import setup_logging

console = Console()
err_console = Console(stderr=True)


@dataclass
class State:
    debug: bool = False
    json_logs: bool | None = None
    _settings: Settings | None = field(default=None, repr=False)
    log_file: Path | None = None

    @property
    def loaded(self) -> Settings | None:
        """The settings if a command already loaded them (the error report masks their
        secrets); never loads them itself."""
        return self._settings

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
            self.log_file = setup_logging(
                self._settings,
                console_level="DEBUG" if self.debug else None,
                json_format=self.json_logs,
            )
        return self._settings


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj
