"""`allpfit dashboard`: run the sales team's Streamlit app; `hash-password` for the users file."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import typer

from allpfit.cli.state import console, err_console, state
from allpfit.config import mask_url
from allpfit.dashboard.opener import open_when_ready
from allpfit.errors import InputError

app = typer.Typer(
    help="Run the sales dashboard (Streamlit, Brazilian Portuguese).",
    invoke_without_command=True,
)


def app_path() -> Path:
    """Path of the Streamlit entry script inside the installed package."""
    return Path(str(resources.files("allpfit.dashboard").joinpath("app.py")))


def theme_flags() -> list[str]:
    """The shipped .streamlit/config.toml as `--section.option value` flags.

    Streamlit reads config.toml only from the working directory (and ~/.streamlit), so the
    packaged theme and settings (among them `client.showErrorDetails = "none"`: no traceback
    reaches a browser) travel as command-line flags; the user's own config still applies to
    everything we do not set.
    """
    shipped = resources.files("allpfit.dashboard").joinpath(".streamlit/config.toml")
    config = tomllib.loads(shipped.read_text(encoding="utf-8"))
    flags = []
    for section, options in config.items():
        for option, value in options.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags.append(f"--{section}.{option}={text}")
    return flags


def streamlit_command(port: int, host: str) -> list[str]:
    """Always headless: see allpfit.dashboard.opener for how the browser tab is opened."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path()),
        f"--server.port={port}",
        f"--server.address={host}",
        "--server.headless=true",
        *theme_flags(),
    ]


@app.callback()
def dashboard(
    ctx: typer.Context,
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to listen on."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (0.0.0.0 = every interface)."
    ),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser tab."),
) -> None:
    """Serve the dashboard until Ctrl+C (http://HOST:PORT)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = state(ctx).settings()  # fail here, in the terminal, on a bad configuration
    command = streamlit_command(port, host)
    configured = settings.local_url()
    where = mask_url(configured) if configured else f"embedded database in {settings.data_dir}"
    console.print(f"Dashboard at [bold]http://{host}:{port}[/] (data: {where}). Ctrl+C stops it.")
    # Streamlit inherits this environment and reads the same .env: same settings as here.
    # On POSIX this process BECOMES Streamlit (exec): a service manager's SIGTERM, or Ctrl+C,
    # reaches the server itself instead of leaving an orphaned child behind.
    sys.stdout.flush()
    if not no_browser:
        open_when_ready(host, port)
    if os.name == "posix":
        os.execv(sys.executable, command)
    try:
        code = subprocess.call(command)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


@app.command("hash-password")
def hash_password_cmd(
    user: str = typer.Option(..., "--user", help="User name for the line printed."),
    iterations: int = typer.Option(
        600_000, "--iterations", min=10_000, help="PBKDF2 rounds (more = slower to guess)."
    ),
) -> None:
    """Print a `user = "pbkdf2_sha256$..."` line for DASHBOARD_USERS_FILE (TOML).

    The password is asked twice without echo (or read from stdin when piped).
    """
    from allpfit.dashboard.auth import hash_password

    if not user.strip() or any(ch in user for ch in "\"'=\n[]"):
        raise InputError(
            f"Invalid user name {user!r}.", hint="Use letters, digits, dots, dashes or _."
        )
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InputError("The password is empty.", hint="Type a password (8+ characters).")
    if len(password) < 8:
        err_console.print("[yellow]Warning:[/] passwords under 8 characters are easy to guess.")
    # Plain echo: rich would wrap the long hash and read "[...]" as markup.
    typer.echo(f'{user.strip()} = "{hash_password(password, iterations=iterations)}"')
