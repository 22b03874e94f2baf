"""One Streamlit script per screen, run by app.py through st.navigation (UI only, pt-BR)."""
