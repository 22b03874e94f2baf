"""Previous/next paging for the 50-row tables, with the page number in the URL (`?pagina=3`)."""

from __future__ import annotations

import streamlit as st

from allpfit.dashboard import texts
from allpfit.dashboard.queries import Page

PARAM = "pagina"


def current(key: str, *, reset_when: object = None) -> int:
    """The page number to show (1-based). It goes back to 1 when `reset_when` changes
    (the filters), so a new search never opens on an empty page 7."""
    signature_key = f"{key}_filters"
    if key not in st.session_state:
        try:
            st.session_state[key] = max(1, int(str(st.query_params.get(PARAM, "1"))))
        except ValueError:
            st.session_state[key] = 1
        st.session_state[signature_key] = reset_when
    elif st.session_state.get(signature_key) != reset_when:
        st.session_state[key] = 1
        st.session_state[signature_key] = reset_when
    return int(st.session_state[key])


def _move(key: str, step: int, pages: int) -> None:
    st.session_state[key] = min(max(1, int(st.session_state.get(key, 1)) + step), pages)


def controls(key: str, page: Page) -> None:
    """Draw "← Anterior  página x de y  Próxima →" and keep the page number in the URL."""
    # The query may have clamped the page (rows deleted, filters narrowed): follow it.
    st.session_state[key] = page.page
    st.query_params[PARAM] = str(page.page)
    left, middle, right = st.columns([1, 3, 1])
    left.button(
        texts.PAGE_PREVIOUS,
        key=f"{key}_prev",
        on_click=_move,
        args=(key, -1, page.pages),
        disabled=page.page <= 1,
        width="stretch",
    )
    middle.markdown(
        f"<div style='text-align:center'>{texts.PAGE_NUMBER} {page.page} / {page.pages}</div>",
        unsafe_allow_html=True,
    )
    right.button(
        texts.PAGE_NEXT,
        key=f"{key}_next",
        on_click=_move,
        args=(key, 1, page.pages),
        disabled=page.page >= page.pages,
        width="stretch",
    )
