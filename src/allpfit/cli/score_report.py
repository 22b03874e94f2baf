"""`allpfit crm score-check`: the score check of one tenant as text (crm/score_check.py).

Says plainly what cannot be judged yet and why (the thresholds of `crm.calibration`), rather
than printing an AUC of three sales.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from allpfit.crm import calibration as cal
from allpfit.crm.score_check import ScoreReport

LEFT_OUT = {
    "young": "first conversation within the outcome window (not judged yet)",
    "existing": "already customers before the conversation (a sale before it never counts)",
    "ambiguous": "phone shared by different CRM people",
    "unscored": "not analysed yet",
}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _interval(pair: tuple[float, float] | None) -> str:
    return "-" if pair is None else f"{pair[0] * 100:.1f}% – {pair[1] * 100:.1f}%"


def shortfall_lines(report: ScoreReport) -> list[str]:
    """Why a figure is not judged, one sentence per reason, with the threshold."""
    q = report.quality
    lines = []
    for code in q.shortfalls:
        if code == "sales":
            lines.append(f"Too few sales to judge the score: {q.sales} (needs {cal.MIN_SALES}).")
        elif code == "non_sales":
            lines.append(
                f"Too few leads without a sale to judge the score: {q.leads - q.sales} "
                f"(needs {cal.MIN_NON_SALES})."
            )
        elif code == "months":
            lines.append("No calibration: it needs judged leads of at least two months.")
        elif code == "fit":
            lines.append(
                f"No calibration: the earlier months have {q.fit_sales} sales and "
                f"{q.fit_leads - q.fit_sales} leads without one (needs {cal.MIN_SALES} and "
                f"{cal.MIN_NON_SALES})."
            )
        elif code == "held_out":
            lines.append(
                f"No calibration check: the latest month has {q.held_out_leads} leads and "
                f"{q.held_out_sales} sales (needs {cal.MIN_HELD_OUT_LEADS} leads and "
                f"{cal.MIN_HELD_OUT_SALES} sale)."
            )
    return lines


def render(report: ScoreReport) -> Group:
    sample, q = report.sample, report.quality
    parts: list[Table | Text] = [
        Text(f"Score check: tenant {report.tenant.slug} ({report.tenant.name})", style="bold")
    ]
    if sample.as_of is None:
        parts.append(
            Text(
                "No CRM match has succeeded yet: there are no outcomes to judge the score by. "
                "Run `allpfit crm match` (after `crm sync` or `crm import`).",
                style="yellow",
            )
        )
        return Group(*parts)
    parts.append(
        Text(
            f"As of the last CRM match ({sample.as_of:%Y-%m-%d}); a sale counts within "
            f"{sample.window_days} days of the lead's first conversation (SCORE_OUTCOME_DAYS)."
        )
    )
    left = ", ".join(f"{n} {LEFT_OUT[k]}" for k, n in sorted(sample.left_out.items()) if n)
    parts.append(Text(f"Judged leads: {q.leads}, of which sales: {q.sales}."))
    parts.append(Text(f"Left out: {left or 'none'}."))
    rates = Table(title="Conversion by score (95% Wilson interval)")
    for column in ("score", "leads", "sales", "rate", "interval"):
        rates.add_column(column, justify="right")
    for r in q.rates:
        rates.add_row(str(r.score), str(r.leads), str(r.sales), _pct(r.rate), _interval(r.interval))
    parts.append(rates)
    if q.auc is not None and q.auc_interval is not None:
        low, high = q.auc_interval
        parts.append(
            Text(
                f"AUC {q.auc:.3f} (95% bootstrap interval {low:.3f} – {high:.3f}); "
                "0.5 = no better than chance, 1 = every buyer scored above every non-buyer."
            )
        )
    c = q.calibration
    if c is not None:
        fitted = f"{c.fit_months[0]:%Y-%m} to {c.fit_months[-1]:%Y-%m}"
        parts.append(
            Text(
                f"Calibration: fitted on {fitted} ({c.fit_leads} leads, {c.fit_sales} sales), "
                f"checked on {c.held_out_month:%Y-%m} ({c.held_out_leads} leads, "
                f"{c.held_out_sales} sales). Brier score {c.brier:.4f} (the fit months' base "
                f"rate alone: {c.brier_base_rate:.4f}); calibration error "
                f"{c.calibration_error * 100:.1f} points."
            )
        )
        table = Table(title=f"Calibrated probability vs {c.held_out_month:%Y-%m}")
        for column in ("score", "probability", "leads", "observed", "interval"):
            table.add_column(column, justify="right")
        held = {r.score: r for r in c.reliability}
        for score in cal.SCORES:
            point = held.get(score)
            table.add_row(
                str(score),
                _pct(c.probabilities[score]),
                str(point.leads) if point else "0",
                _pct(point.observed) if point else "-",
                _interval(point.interval) if point else "-",
            )
        parts.append(table)
    parts += [Text(line, style="yellow") for line in shortfall_lines(report)]
    return Group(*parts)
