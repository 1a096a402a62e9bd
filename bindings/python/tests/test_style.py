"""The package, its tests and examples follow PEP 8 (Debian's flake8, lines up to 100
characters as the C sources): a style regression fails here, not in review."""

import os
import shutil
import subprocess

import pytest

from conftest import PACKAGE_DIR


def test_flake8_clean():
    """flake8 finds nothing in census/, tests/, examples/ and bench/ (setup.py too)."""
    flake8 = shutil.which("flake8") or "/usr/bin/flake8"
    if not os.path.exists(flake8):
        pytest.fail("flake8 is missing: scripts/install-deps.sh test installs it")
    targets = [p for p in ("census", "tests", "examples", "bench", "setup.py")
               if os.path.exists(os.path.join(PACKAGE_DIR, p))]
    proc = subprocess.run([flake8, "--max-line-length=100", *targets], cwd=PACKAGE_DIR,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
