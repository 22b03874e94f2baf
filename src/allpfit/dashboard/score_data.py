"""Cached access to the score check for the "Qualidade do score" page (`crm.score_check`).

Its own module, not `data.py`: the check reads every lead and CRM customer of the tenant and
bootstraps the AUC, so it is cached like the other queries (same TTL, cleared by the refresh
button) and keyed only by what changes its answer.
"""

from __future__ import annotations

import streamlit as st

from allpfit.crm.calibration import ScoreQuality, assess
from allpfit.crm.score_check import ScoreSample, load_sample
from allpfit.dashboard.data import CACHE_SECONDS, connect


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def score_quality(
    url: str, tenant_id: int, timezone: str, window: int, same_day: bool
) -> tuple[ScoreSample, ScoreQuality]:
    """The tenant's judged leads and what they say about the score."""
    with connect(url, tenant_id) as conn:
        sample = load_sample(conn, timezone=timezone, window=window, same_day=same_day)
    return sample, assess(sample.leads)
