"""Shared fixtures of the census Python tests.

census keeps process-wide state (registered views, exporters, the exit flush), as
opencensus-python does, so most tests run their program in a fresh interpreter with
:func:`run_python` and assert on what it printed or exported; the interpreter is the one running
pytest (``sys.executable``: the test venv of scripts/test-python.sh, made from Debian's
/usr/bin/python3), so the census package under test is the one installed there.
"""

import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PACKAGE_DIR = os.path.join(REPO, "bindings", "python")
DEBIAN_PYTHON = "/usr/bin/python3"


def run_python(code, *, env=None, timeout=60, check=True, args=(), cwd=None):
    """Runs `code` (dedented) in a fresh interpreter; returns the CompletedProcess (text).

    `env` entries are added to the current environment. With check, a non-zero exit fails the
    test and shows both streams.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=full_env,
                          cwd=cwd or os.getcwd(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail("program exited %d\n--- stdout\n%s\n--- stderr\n%s"
                    % (proc.returncode, proc.stdout, proc.stderr))
    return proc


@pytest.fixture
def repo():
    """The census repository's root directory."""
    return REPO
