"""Chatwoot account webhooks: a signed receiver, an event inbox and a worker.

`app` verifies and stores each delivery (`inbox`) and answers at once; `worker` refreshes the
conversations the stored events name through the sync's own extraction (mode "webhook" of
allpfit.sync.run) and re-runs their analysis. See docs/operations.md.
"""
