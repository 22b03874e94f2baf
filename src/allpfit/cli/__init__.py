"""The `allpfit` command: every job of the product, one sub-command each.

This package is the only place where errors become messages and exit codes: core code raises
`AllpfitError`s, and `AllpfitGroup.invoke` prints `Error: ...` and the hint, then exits with the
error's code. Tracebacks are shown only for unexpected failures, or with `--debug`.
"""

from __future__ import annotations

import logging
import traceback

import typer
from typer.core import TyperGroup

from allpfit import __version__
from allpfit.cli import analyze as analyze_cmd
from allpfit.cli import crm as crm_cmd
from allpfit.cli import dashboard as dashboard_cmd
from allpfit.cli import db as db_cmd
from allpfit.cli import demo as demo_cmd
from allpfit.cli import etl as etl_cmd
from allpfit.cli import ops as ops_cmd
from allpfit.cli import source as source_cmd
from allpfit.cli.state import State, err_console
from allpfit.errors import AllpfitError


class AllpfitGroup(TyperGroup):
    """Root group that turns expected errors into a message and an exit code."""

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except AllpfitError as exc:
            logging.getLogger("allpfit.cli").error("%s", exc.message)
            state = ctx.obj if isinstance(ctx.obj, State) else None
            if state is not None and state.debug:
                err_console.print(traceback.format_exc(), markup=False, highlight=False)
            err_console.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
            if exc.hint:
                err_console.print(f"[yellow]Hint:[/] {exc.hint}", highlight=False)
            raise typer.Exit(exc.exit_code) from None


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
ops_cmd.register(app)


def main() -> None:
    app()
