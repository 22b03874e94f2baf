"""The `allpfit` command: every job of the product, one sub-command each.

This package is the only place where errors become messages and exit codes: core code raises
`AllpfitError`s, and `AllpfitGroup.invoke` prints `Error: ...` (one line, secrets masked) and
the hint on the next, then exits with the error's code. The log file gets the full text. An
unexpected exception is reported the same way (exit 1) with its traceback in the log file only;
`--debug` shows tracebacks on the console.
"""

from __future__ import annotations

import importlib
import logging
import traceback

import typer
from rich.text import Text
from typer.core import TyperGroup

from allpfit import __version__
from allpfit.cli import analyze as analyze_cmd
from allpfit.cli import crm as crm_cmd
from allpfit.cli import dashboard as dashboard_cmd
from allpfit.cli import db as db_cmd
from allpfit.cli import demo as demo_cmd
from allpfit.cli import etl as etl_cmd
from allpfit.cli import export as export_cmd
from allpfit.cli import followups as followups_cmd
from allpfit.cli import ops as ops_cmd
from allpfit.cli import source as source_cmd
from allpfit.cli import tenant as tenant_cmd
from allpfit.cli import user as user_cmd
from allpfit.cli import webhooks as webhooks_cmd
from allpfit.cli.state import State, err_console
from allpfit.errors import AllpfitError
from allpfit.ops.logs import secrets_of
from allpfit.redaction import first_line, redact

log = logging.getLogger("allpfit.cli")
# Before (or without) the log file, Python's last-resort handler would print log records on
# stderr: a second copy of the `Error:` line.
logging.getLogger("allpfit").addHandler(logging.NullHandler())


def _control_flow() -> tuple[type[BaseException], ...]:
    """The exceptions Typer and Click use for exits, aborts and usage errors: they pass through
    untouched. Typer 0.28 vendors Click as `typer._click`; earlier versions use `click`."""
    kinds: list[type[BaseException]] = [typer.Exit, typer.Abort]
    for name in ("click.exceptions", "typer._click.exceptions"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        kinds += [
            getattr(module, n) for n in ("ClickException", "Exit", "Abort") if hasattr(module, n)
        ]
    return tuple(kinds)


PASS_THROUGH = _control_flow()


class AllpfitGroup(TyperGroup):
    """Root group that turns every error into one message line, a hint and an exit code."""

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except PASS_THROUGH:
            raise
        except AllpfitError as exc:
            log.error("%s", exc.message)
            _report(ctx, exc.message, exc.hint)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:  # a bug or an unforeseen failure: still one line, no traceback
            log.error("unexpected error", exc_info=True)
            state = ctx.obj if isinstance(ctx.obj, State) else None
            where = state.log_file if state is not None and state.log_file else "the log file"
            detail = first_line(str(exc))
            _report(
                ctx,
                f"unexpected {type(exc).__name__}" + (f": {detail}" if detail else ""),
                f"The full traceback is in {where}; `allpfit --debug ...` shows it here.",
            )
            raise typer.Exit(1) from None


def _report(ctx: typer.Context, message: str, hint: str | None) -> None:
    """Print `Error:` and `Hint:`, one line each, with every secret masked."""
    state = ctx.obj if isinstance(ctx.obj, State) else None
    secrets = secrets_of(state.loaded) if state is not None and state.loaded else []
    if state is not None and state.debug:
        err_console.print(redact(traceback.format_exc(), secrets), markup=False, highlight=False)
    for label, style, text in (("Error:", "bold red", message), ("Hint:", "yellow", hint)):
        if text:
            line = first_line(redact(text, secrets))
            err_console.print(Text.assemble((label, style), " ", line), soft_wrap=True)


app = typer.Typer(
    cls=AllpfitGroup,
    help="AllpFit Analytics: Chatwoot conversations turned into sales intelligence.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"allpfit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
    json_logs: bool = typer.Option(
        False, "--json", help="Write log lines as JSON objects (overrides LOG_FORMAT)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Sync Chatwoot, analyse leads, match CRM sales, and show it all in a dashboard."""
    ctx.obj = State(debug=debug, json_logs=True if json_logs else None)


app.add_typer(db_cmd.app, name="db")
app.add_typer(etl_cmd.app, name="etl")
app.command("analyze")(analyze_cmd.analyze)
app.add_typer(source_cmd.app, name="source")
app.add_typer(demo_cmd.app, name="demo")
app.add_typer(crm_cmd.app, name="crm")
app.add_typer(dashboard_cmd.app, name="dashboard")
app.add_typer(tenant_cmd.app, name="tenant")
app.add_typer(user_cmd.app, name="user")
app.add_typer(webhooks_cmd.app, name="webhooks")
app.add_typer(followups_cmd.app, name="followups")
app.add_typer(export_cmd.app, name="export")
ops_cmd.register(app)


def main() -> None:
    app()
