"""Open the dashboard in the browser once Streamlit answers.

Streamlit opens the browser itself only when not headless, and then it first asks for an
e-mail address on the terminal (its first-run onboarding prompt), which blocks a service and
confuses a user. So the dashboard always runs headless, and this tiny process, started beside
it, waits for the health endpoint and opens the tab.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import webbrowser


def wait_and_open(url: str, timeout: float = 90.0) -> bool:
    """Poll `url`/_stcore/health until it answers, then open `url`; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return webbrowser.open(url)
        except OSError:
            time.sleep(0.5)
    return False


def open_when_ready(host: str, port: int) -> None:
    """Start the opener in the background (it outlives an exec of this process)."""
    browse_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    subprocess.Popen(
        [sys.executable, "-m", "allpfit.dashboard.opener", f"http://{browse_host}:{port}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


if __name__ == "__main__":
    wait_and_open(sys.argv[1])
