"""Follow-ups into Chatwoot: plan, review, send, measure (issue 13). See docs/followups.md.

- `rules`: a tenant's follow-up settings, due dates around closed days, who may get one
  (the one eligibility check: new lead, not converted, not opted out), the WhatsApp window;
- `compose`: the message of each step and its variant tag;
- `plan`: writes one row per conversation and step (`followups`), never deletes one;
- `review`: list, approve, edit, skip (audited);
- `send`: claim, call Chatwoot, record; reconcile a row left 'sending'; never twice;
- `results`: reply rate within 48 h and conversions per step and per variant.
"""
