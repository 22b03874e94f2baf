"""The sales team's Streamlit dashboard (`allpfit dashboard`); see docs/dashboard.md."""
