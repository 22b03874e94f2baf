"""Caixas de entrada: Chatwoot's inbox report for the period.

The figures: allpfit.reports.metrics; their definitions: docs/reports.md.
"""

from __future__ import annotations

from allpfit.dashboard import dimension_report

dimension_report.render("inbox")
