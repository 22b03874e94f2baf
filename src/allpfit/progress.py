"""The one progress-callback type every long job accepts.

Core code (sync, analysis, CRM, demo) reports `progress(phase, done, total)` and never draws
anything itself: the CLI turns the calls into bars, the scheduler ignores them, tests use them
to act at a precise moment of a run. `total` is None when the amount of work is not known yet.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int | None], None]
