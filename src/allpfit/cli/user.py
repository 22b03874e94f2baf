"""`allpfit user add / list / disable / enable / reset-password / import-file`: dashboard users.

A password is never an argument (it would stay in the shell history and the process list):
`--password-stdin` reads one line from standard input, and without it a password is generated
and printed once. Hashes are never printed. Every change is written to the audit log with the
actor `cli:<os user>`. The rules themselves (roles, tenants, hashing) are in allpfit/users.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import typer
from rich.markup import escape
from rich.table import Table

from allpfit import db, users
from allpfit.cli.state import console, err_console, state
from allpfit.dashboard import auth
from allpfit.errors import InputError
from allpfit.tenants import get_tenant

app = typer.Typer(
    help="Dashboard users: e-mail, role (admin, manager, viewer) and tenant.",
    no_args_is_help=True,
)

ROLE_HELP = "admin (every tenant, admin page), manager (own tenant, sync and export) or viewer "
ROLE_HELP += "(own tenant, phones masked, no export)."


def _connect(ctx: typer.Context) -> psycopg.Connection:
    url = db.prepare(state(ctx).settings())
    return db.connect(url, autocommit=True)


def _tenant_id(conn: psycopg.Connection, slug: str | None) -> int | None:
    return None if slug is None else get_tenant(conn, slug).id


def _password_from_stdin(enabled: bool) -> str | None:
    if not enabled:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InputError(
            "--password-stdin was given but standard input holds no password.",
            hint="Pipe the password in (`printf '%s\\n' ... | allpfit user ...`) or leave the "
            "option out to get a generated one.",
        )
    return password


def _show_once(password: str) -> None:
    # Plain echo: rich could wrap it or read brackets as markup.
    typer.echo(f"Password (shown once, not stored anywhere): {password}")


@app.command("add")
def add(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The person's e-mail: their login."),
    role: str = typer.Option(..., "--role", metavar="ROLE", help=ROLE_HELP),
    tenant: str | None = typer.Option(
        None, "--tenant", metavar="SLUG", help="Their tenant (required unless --role admin)."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
) -> None:
    """Create a dashboard user; prints a generated password once unless --password-stdin."""
    password = _password_from_stdin(password_stdin)
    with _connect(ctx) as conn:
        user, generated = users.add_user(
            conn,
            email,
            users.parse_role(role),
            _tenant_id(conn, tenant),
            password,
            actor=users.cli_actor(),
        )
    where = f"tenant {tenant}" if tenant else "every tenant"
    console.print(f"Added {user.role} [bold]{escape(user.email)}[/] ({where}).", highlight=False)
    if generated is not None:
        _show_once(generated)


@app.command("list")
def list_(
    ctx: typer.Context,
    tenant: str | None = typer.Option(
        None, "--tenant", metavar="SLUG", help="Only this tenant's users (admins have none)."
    ),
) -> None:
    """List dashboard users (never their password hashes)."""
    with _connect(ctx) as conn:
        rows = users.list_users(conn, _tenant_id(conn, tenant))
    if not rows:
        console.print(
            "No dashboard users." + ("" if tenant else " Add one with `allpfit user add`.")
        )
        return
    table = Table("E-mail", "Role", "Tenant", "Status", "Created", "Last login")
    for row in rows:
        table.add_row(
            row.email,
            row.role,
            row.tenant_slug or "(all)",
            "disabled" if row.disabled else "active",
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.last_login_at:%Y-%m-%d %H:%M}" if row.last_login_at else "never",
        )
    console.print(table)


@app.command("disable")
def disable(
    ctx: typer.Context, email: str = typer.Argument(..., help="The user's e-mail.")
) -> None:
    """Disable a user: no more logins, and their open dashboard sessions end now."""
    with _connect(ctx) as conn:
        user = users.disable_user(conn, email, actor=users.cli_actor())
    console.print(f"Disabled {escape(user.email)}; their sessions have ended.", highlight=False)


@app.command("enable")
def enable(ctx: typer.Context, email: str = typer.Argument(..., help="The user's e-mail.")) -> None:
    """Enable a disabled user again (same password as before)."""
    with _connect(ctx) as conn:
        user = users.enable_user(conn, email, actor=users.cli_actor())
    console.print(f"Enabled {escape(user.email)}.", highlight=False)


@app.command("reset-password")
def reset_password(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's e-mail."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from standard input (one line)."
    ),
) -> None:
    """Give a user a new password (printed once unless --password-stdin); ends their sessions."""
    password = _password_from_stdin(password_stdin)
    with _connect(ctx) as conn:
        new = users.reset_password(conn, email, password, actor=users.cli_actor())
    console.print(
        f"New password set for {escape(email.strip())}; their sessions have ended.", highlight=False
    )
    if password is None:
        _show_once(new)


@app.command("import-file")
def import_file(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="The DASHBOARD_USERS_FILE to import (TOML or JSON)."),
    tenant: str = typer.Option(..., "--tenant", metavar="SLUG", help="The users' tenant."),
    role: str = typer.Option(
        "manager", "--role", metavar="ROLE", help="Their role: manager or viewer."
    ),
    domain: str | None = typer.Option(
        None,
        "--domain",
        help="Turns a name without @ into NAME@DOMAIN (the login is an e-mail).",
    ),
) -> None:
    """Move the users of the old DASHBOARD_USERS_FILE into the database, passwords kept.

    Their PBKDF2 hashes are imported as they are and replaced by argon2id at each user's first
    login. All or nothing: an invalid name imports nobody. Existing e-mails are skipped.
    """
    kind = users.parse_role(role)
    if kind is users.Role.admin:
        raise InputError(
            "import-file makes managers or viewers of one tenant.",
            hint="Make admins with `allpfit user add EMAIL --role admin`.",
        )
    names = auth.load_users(path)
    emails: dict[str, str] = {}
    for name in names:
        address = name if "@" in name or domain is None else f"{name}@{domain.lstrip('@')}"
        try:
            emails[name] = users.normalize_email(address)
        except InputError:
            raise InputError(
                f"User {name!r} of {path} has no valid e-mail.",
                hint="Give --domain example.com to log it in as NAME@example.com.",
            ) from None
    added: list[str] = []
    skipped: list[str] = []
    with _connect(ctx) as conn, conn.transaction():
        tenant_id = _tenant_id(conn, tenant)
        for name, email in emails.items():
            if users.find_user(conn, email) is not None:
                skipped.append(email)
                continue
            users.add_user(
                conn,
                email,
                kind,
                tenant_id,
                actor=users.cli_actor(),
                password_hash=names[name],
            )
            added.append(email)
    console.print(
        f"Imported {len(added)} user(s) as {kind} of {tenant}"
        + (f"; skipped {len(skipped)} existing: {escape(', '.join(skipped))}" if skipped else "")
        + ".",
        highlight=False,
    )
    if added:
        err_console.print(
            "From now on the dashboard asks for e-mail and password; DASHBOARD_USERS_FILE "
            "and DASHBOARD_PASSWORD are ignored (you can remove them)."
        )
