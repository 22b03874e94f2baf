"""Qualidade do score: does the AI's 0-5 probability predict real CRM sales?

Conversion by score with 95% intervals, the AUC with its bootstrap interval, and the isotonic
calibration fitted on earlier months and checked on the latest (crm/calibration.py). When there
are too few outcomes the page says so, with the thresholds, instead of a verdict. The period
filter does not apply: the check uses every lead whose outcome window is complete.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from allpfit import ptbr
from allpfit.crm import calibration as cal
from allpfit.dashboard import score_charts, sidebar, texts
from allpfit.dashboard.score_data import score_quality

view = sidebar.view(period=False)
settings = sidebar.settings_or_stop()
window = settings.score_outcome_days
st.title(texts.PAGE_SCORE)
st.caption(texts.SCORE_CAPTION.format(dias=window))

sample, quality = score_quality(
    view.url, view.tenant_id, view.tz, window, settings.crm_same_day_is_conversion
)
if sample.as_of is None:
    st.info(texts.SCORE_NO_MATCH)
    st.caption(texts.SCORE_NO_MATCH_HINT)
    st.stop()

st.caption(
    texts.SCORE_AS_OF.format(
        data=texts.fmt_date(sample.as_of),
        corte=texts.fmt_date(sample.as_of - timedelta(days=window)),
    )
)
leads_col, sales_col, auc_col = st.columns(3)
leads_col.metric(texts.SCORE_LEADS, texts.fmt_int(quality.leads), border=True)
sales_col.metric(texts.SCORE_SALES, texts.fmt_int(quality.sales), border=True)
auc_col.metric(
    texts.SCORE_AUC,
    texts.fmt_decimal(quality.auc, 2) if quality.auc is not None else texts.EMPTY,
    border=True,
    help=texts.SCORE_AUC_HELP,
)


def _shortfalls() -> list[str]:
    """Each reason a figure is not judged, in plain Portuguese, with its threshold."""
    q = quality
    sales = ptbr.count_of(q.sales, *texts.SALE_WORDS)
    reasons = {
        "sales": texts.SCORE_TOO_FEW_SALES.format(vendas=sales, minimo=cal.MIN_SALES),
        "non_sales": texts.SCORE_TOO_FEW_NON_SALES.format(
            leads=ptbr.count_of(q.leads - q.sales, *texts.LEAD_COUNT_WORDS),
            minimo=cal.MIN_NON_SALES,
        ),
        "months": texts.SCORE_TOO_FEW_MONTHS,
        "fit": texts.SCORE_TOO_FEW_FIT.format(
            vendas=ptbr.count_of(q.fit_sales, *texts.SALE_WORDS),
            leads=ptbr.count_of(q.fit_leads - q.fit_sales, *texts.LEAD_COUNT_WORDS),
            min_vendas=cal.MIN_SALES,
            min_leads=cal.MIN_NON_SALES,
        ),
        "held_out": texts.SCORE_TOO_FEW_HELD_OUT.format(
            leads=ptbr.count_of(q.held_out_leads, *texts.LEAD_COUNT_WORDS),
            vendas=ptbr.count_of(q.held_out_sales, *texts.SALE_WORDS),
            min_leads=cal.MIN_HELD_OUT_LEADS,
            min_vendas=cal.MIN_HELD_OUT_SALES,
        ),
    }
    return [reasons[code] for code in q.shortfalls]


if quality.shortfalls:
    lines = _shortfalls()
    if not quality.enough:
        lines.insert(0, texts.SCORE_TOO_FEW)
    st.warning("\n\n".join(lines), icon=":material/hourglass_empty:")

if quality.auc is not None and quality.auc_interval is not None:
    low, high = quality.auc_interval
    verdict = (
        texts.SCORE_VERDICT_GOOD
        if low > 0.5
        else texts.SCORE_VERDICT_BAD
        if high < 0.5
        else texts.SCORE_VERDICT_CHANCE
    )
    st.markdown(
        texts.SCORE_AUC_TEXT.format(
            auc=texts.fmt_decimal(quality.auc, 2),
            baixo=texts.fmt_decimal(low, 2),
            alto=texts.fmt_decimal(high, 2),
            veredito=verdict,
        )
    )

st.plotly_chart(score_charts.rates_by_score(quality.rates), key="score_rates")

left_out = [
    ptbr.count_of(count, *texts.SCORE_LEFT_OUT_REASONS[reason])
    for reason, count in sorted(sample.left_out.items())
    if count
]
if left_out:
    st.caption(texts.SCORE_LEFT_OUT.format(itens="; ".join(left_out)))

c = quality.calibration
if c is not None:
    st.header(texts.SCORE_CALIBRATION)
    months = [texts.fmt_date(m)[3:] for m in c.fit_months]
    st.markdown(
        texts.SCORE_CALIBRATION_TEXT.format(
            meses_ajuste=f"{months[0]} a {months[-1]}" if len(months) > 1 else months[0],
            ajuste=ptbr.count_of(c.fit_leads, *texts.LEAD_COUNT_WORDS),
            mes_teste=texts.fmt_date(c.held_out_month)[3:],
            teste=ptbr.count_of(c.held_out_leads, *texts.LEAD_COUNT_WORDS),
            brier=texts.fmt_decimal(c.brier, 3),
            brier_base=texts.fmt_decimal(c.brier_base_rate, 3),
            erro=texts.fmt_decimal(c.calibration_error * 100, 1),
        )
    )
    held = {r.score: r for r in c.reliability}
    columns = texts.SCORE_CALIBRATION_COLUMNS
    table = pd.DataFrame(
        [
            {
                columns["score"]: str(score),
                columns["probabilidade"]: texts.fmt_pct(c.probabilities[score]),
                columns["leads"]: texts.fmt_int(held[score].leads if score in held else 0),
                columns["observada"]: (
                    texts.fmt_pct(held[score].observed) if score in held else texts.EMPTY
                ),
            }
            for score in cal.SCORES
        ]
    )
    chart, numbers = st.columns([3, 2])
    chart.plotly_chart(score_charts.reliability(c), key="score_reliability")
    numbers.dataframe(table, hide_index=True, width="stretch", key="score_calibration")
