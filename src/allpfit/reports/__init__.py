"""Chatwoot-style reports: agents, teams, inboxes and labels over a period.

`periods` says which days a comparison covers; `metrics` is the one definition of Chatwoot's
core report figures, used by the dashboard pages and by `allpfit export agents`.
"""
