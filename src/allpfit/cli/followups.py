"""`allpfit followups ...`: plan, review and send follow-ups into Chatwoot (docs/followups.md).

- `configure`: a tenant's steps, closed days, daily cap, message or private note, template;
- `plan`: one row per lead conversation and step, for review;
- `list`, `approve`, `edit`, `skip`: the review (also on the dashboard's Follow-ups page);
- `send [--dry-run]`: approved, due follow-ups into their conversations, at most once each.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from allpfit import db, users
from allpfit.cli.state import console, err_console, state
from allpfit.cli.tenant import chosen_tenants, heading, one_tenant, tenant_option
from allpfit.errors import AllpfitError, InputError
from allpfit.followups import plan as plan_mod
from allpfit.followups import review, rules
from allpfit.followups import send as send_mod
from allpfit.followups.compose import MAX_TEXT
from allpfit.source.api_client import ChatwootApi

app = typer.Typer(help="Follow-ups into Chatwoot: plan, review, send.", no_args_is_help=True)

IDS = typer.Argument(..., help="Follow-up ids (see `allpfit followups list`).")


def _one_tenant_option() -> Any:
    return typer.Option(
        None, "--tenant", metavar="SLUG", help="The tenant (default: the only enabled one)."
    )


@app.command("configure")
def configure(
    ctx: typer.Context,
    tenant: str | None = _one_tenant_option(),
    steps: str | None = typer.Option(
        None, "--steps", metavar="DAYS", help="Days after the lead's last message, e.g. 1,3,7."
    ),
    closed_days: str | None = typer.Option(
        None,
        "--closed-days",
        metavar="DAYS",
        help="Weekdays the business is closed, e.g. sun or sat,sun ('' = open every day).",
    ),
    daily_cap: int | None = typer.Option(
        None, "--daily-cap", min=0, max=10000, help="Most follow-ups sent per day."
    ),
    send_as: str | None = typer.Option(
        None,
        "--send-as",
        metavar="message|private_note",
        help="An outgoing message to the lead, or a private note for the agent to send.",
    ),
    template_name: str | None = typer.Option(
        None, "--template-name", help="Approved WhatsApp template for outside the 24 h window."
    ),
    template_language: str | None = typer.Option(
        None, "--template-language", help="Its language code, e.g. pt_BR."
    ),
    template_category: str | None = typer.Option(
        None, "--template-category", metavar="MARKETING|UTILITY", help="Its category."
    ),
    template_body: str | None = typer.Option(
        None, "--template-body", help="Its text with {{1}}, {{2}}... as approved."
    ),
    template_params: str | None = typer.Option(
        None,
        "--template-params",
        metavar="SOURCES",
        help="What fills {{1}}, {{2}}...: first_name, contact_name, business_name (comma list).",
    ),
    no_template: bool = typer.Option(
        False, "--no-template", help="Remove the template: outside the window, nothing is sent."
    ),
) -> None:
    """Set a tenant's follow-up rules; with no option, show them."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    one = one_tenant(local_url, tenant, "followups configure")
    values: dict[str, Any] = {}
    if steps is not None:
        values["step_days"] = rules.parse_steps(steps)
    if closed_days is not None:
        values["closed_weekdays"] = rules.parse_weekdays(closed_days)
    if daily_cap is not None:
        values["daily_cap"] = daily_cap
    if send_as is not None:
        if send_as not in ("message", "private_note"):
            raise InputError(
                f"--send-as {send_as!r} is not a way to send.", hint="Use message or private_note."
            )
        values["send_as"] = send_as
    if template_category is not None:
        values["template_category"] = template_category.upper()
    if no_template:
        values |= {"template_name": None, "template_language": None, "template_body": None}
        values["template_params"] = []
    for key, value in (
        ("template_name", template_name),
        ("template_language", template_language),
        ("template_body", template_body),
    ):
        if value is not None:
            values[key] = value
    if template_params is not None:
        sources = [p.strip() for p in template_params.split(",") if p.strip()]
        bad = [p for p in sources if p not in rules.TEMPLATE_PARAM_SOURCES]
        if bad:
            raise InputError(
                f"Unknown template parameter source {bad[0]!r}.",
                hint=f"Use {', '.join(rules.TEMPLATE_PARAM_SOURCES)}.",
            )
        values["template_params"] = sources
    with db.tenant_transaction(local_url, one.id) as conn:
        if values:
            rules.save_settings(conn, values, users.cli_actor())
        cfg = rules.load_settings(conn)
    closed = ",".join(rules.WEEKDAYS[d - 1] for d in cfg.closed_weekdays) or "none"
    console.print(
        f"Follow-ups of {one.slug}: steps {', '.join(map(str, cfg.step_days))} day(s); closed "
        f"{closed}; cap {cfg.daily_cap}/day; sent as {cfg.send_as}; template "
        + (f"{cfg.template_name} ({cfg.template_language})" if cfg.has_template else "none"),
        markup=False,
        highlight=False,
    )


@app.command("plan")
def plan_cmd(ctx: typer.Context, tenant: str | None = tenant_option()) -> None:
    """Plan follow-ups for new leads (not converted, not opted out), for review."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    tenants = chosen_tenants(local_url, tenant)
    for one in tenants:
        heading(one, tenants)
        done = plan_mod.plan(local_url, one, settings)
        console.print(
            f"{done.candidates} lead(s) eligible; {done.created} follow-up(s) planned, "
            f"{done.replanned} moved (the lead wrote again), {done.cancelled} cancelled."
        )


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    tenant: str | None = _one_tenant_option(),
    status: list[str] | None = typer.Option(
        None, "--status", help="Only these statuses (repeatable), e.g. proposed."
    ),
    limit: int = typer.Option(200, "--limit", min=1, max=review.MAX_LIST, help="Most rows."),
) -> None:
    """The tenant's follow-ups (id, due date, step, variant, status, conversation, text)."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    one = one_tenant(local_url, tenant, "followups list")
    with db.tenant_connection(local_url, one.id) as conn:
        rows = review.list_followups(conn, status or None, limit=limit)
    table = Table("id", "due", "step", "variant", "status", "conversation", "lead", "text")
    for r in rows:
        text = r.message_text if len(r.message_text) <= 80 else r.message_text[:79] + "…"
        table.add_row(
            str(r.id), r.due_on.isoformat(), f"{r.step} (+{r.step_days}d)", r.variant,
            r.status + (f": {r.reason}" if r.reason else ""), f"#{r.display_id}",
            rules.first_name(r.contact_name) or "-", text.replace("\n", " "),
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows)} follow-up(s).")


def _report(done: review.ReviewResult, verb: str) -> None:
    console.print(f"{len(done.changed)} follow-up(s) {verb}.")
    for fid, why in done.refused.items():
        console.print(f"  {fid}: not {verb} ({why})", markup=False, highlight=False)
    if done.refused and not done.changed:
        raise typer.Exit(1)


@app.command("approve")
def approve_cmd(
    ctx: typer.Context, ids: list[int] = IDS, tenant: str | None = _one_tenant_option()
) -> None:
    """Approve follow-ups for sending (audited)."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    one = one_tenant(local_url, tenant, "followups approve")
    _report(review.approve(local_url, one.id, ids, users.cli_actor()), "approved")


@app.command("skip")
def skip_cmd(
    ctx: typer.Context,
    ids: list[int] = IDS,
    tenant: str | None = _one_tenant_option(),
    reason: str = typer.Option("", "--reason", help="Why (kept with the follow-up)."),
) -> None:
    """Mark follow-ups as not to be sent (kept, audited)."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    one = one_tenant(local_url, tenant, "followups skip")
    _report(review.skip(local_url, one.id, ids, users.cli_actor(), reason=reason), "skipped")


@app.command("edit")
def edit_cmd(
    ctx: typer.Context,
    followup_id: int = typer.Argument(..., help="The follow-up's id."),
    text: str = typer.Option(..., "--text", help=f"The new message (1-{MAX_TEXT} characters)."),
    tenant: str | None = _one_tenant_option(),
) -> None:
    """Replace a follow-up's text; it then needs approval again (audited)."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    one = one_tenant(local_url, tenant, "followups edit")
    review.edit(local_url, one.id, followup_id, text, users.cli_actor())
    console.print(f"Follow-up {followup_id} edited; approve it to send it.")


@app.command("send")
def send_cmd(
    ctx: typer.Context,
    tenant: str | None = tenant_option(),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show exactly what would be sent (text, conversation, mode)."
    ),
) -> None:
    """Send approved, due follow-ups into their Chatwoot conversations (at most once each,
    within the daily cap; rows left 'sending' by a crash are reconciled first)."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    tenants = chosen_tenants(local_url, tenant)
    failed = False
    for one in tenants:
        heading(one, tenants)
        try:
            base, account, token = send_mod.credentials(one, settings)
            with ChatwootApi.from_settings(settings, base, account, token) as api:
                report = send_mod.send_due(
                    local_url, one, settings, api, dry_run=dry_run, actor=users.cli_actor()
                )
        except AllpfitError as exc:
            if len(tenants) == 1:
                raise
            # One tenant's missing credentials or unreachable Chatwoot stops only its sends.
            err_console.print(f"Tenant {one.slug}: {exc.message}", markup=False, highlight=False)
            failed = True
            continue
        _print_send(report, dry_run)
        failed = failed or any(i.outcome in ("failed", "left sending") for i in report.items)
    if failed:
        raise typer.Exit(1)


def _print_send(report: send_mod.SendReport, dry_run: bool) -> None:
    if report.reconciled or report.needs_review:
        console.print(
            f"Reconciled {report.reconciled} follow-up(s) left sending; "
            f"{report.needs_review} need a person's review."
        )
    if report.closed_today:
        console.print("The business is closed today: nothing is sent.")
        return
    for item in report.items:
        mode = item.mode or "-"
        if item.template:
            mode += f" ({item.template})"
        console.print(
            f"[{item.outcome}] follow-up {item.id}, conversation #{item.display_id}, "
            f"step {item.step}, {mode}" + (f": {item.reason}" if item.reason else ""),
            markup=False,
            highlight=False,
        )
        if dry_run and item.outcome == "would send":
            for line in item.content.splitlines():
                console.print(f"    {line}", markup=False, highlight=False)
    verb = "would be sent" if dry_run else "sent"
    sent = report.count("would send" if dry_run else "sent")
    console.print(f"{sent} follow-up(s) {verb}" + (" (dry run: nothing sent)." if dry_run else "."))
