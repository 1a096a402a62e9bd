"""The package builds and installs both ways issue 13 asks for, and a wheel and an sdist build
the same way: offline with Debian's tooling (python3-setuptools 66, no index, no build
isolation), and the ordinary way (build isolation, setuptools from PyPI).

Each build goes into its own temporary venv, so these tests prove the routes from scratch; the
census the other tests import is the one scripts/test-python.sh installed offline.
"""

import glob
import os
import subprocess
import sys

import pytest

from conftest import DEBIAN_PYTHON, PACKAGE_DIR

IMPORT_CHECK = ("import census, census._census as c, census.stats, census.tags, census.ext; "
                "print(census.version(), c.__file__)")


def venv(path, python=DEBIAN_PYTHON, system_site=True):
    """Makes a venv at `path` and returns its python."""
    cmd = [python, "-m", "venv"] + (["--system-site-packages"] if system_site else []) + [path]
    subprocess.run(cmd, check=True, capture_output=True)
    return os.path.join(path, "bin", "python")


def pip(python, *args, env=None):
    """Runs `python -m pip args`; fails the test with pip's output on error."""
    full_env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", **(env or {}))
    proc = subprocess.run([python, "-m", "pip", *args], capture_output=True, text=True,
                          env=full_env, timeout=600)
    if proc.returncode != 0:
        pytest.fail("pip %s failed\n%s\n%s" % (" ".join(args), proc.stdout, proc.stderr))
    return proc


def imports(python, tmp_path):
    """Imports census with `python` from a directory where the source tree is not on the path."""
    proc = subprocess.run([python, "-c", IMPORT_CHECK], capture_output=True, text=True,
                          cwd=str(tmp_path), check=True)
    return proc.stdout


def exported_symbols(so_path):
    """The dynamic symbols the extension defines."""
    out = subprocess.run(["nm", "-D", "--defined-only", so_path], capture_output=True,
                         text=True, check=True).stdout
    return [line.split()[-1] for line in out.splitlines() if line.strip()]


def test_offline_wheel_and_sdist_build_with_debian_tooling(tmp_path):
    """Offline route: Debian's /usr/bin/python3, a venv with --system-site-packages (so
    python3-setuptools 66 and python3-wheel), pip with --no-build-isolation --no-index. A wheel
    builds, installs and imports; an sdist builds (with the C sources copied in, not the csrc/
    links) and then builds and installs on its own, away from the repository."""
    py = venv(str(tmp_path / "v"))
    dist = tmp_path / "dist"
    offline = ["--no-build-isolation", "--no-index"]
    pip(py, "wheel", *offline, "--no-deps", "-w", str(dist), PACKAGE_DIR)
    wheels = glob.glob(str(dist / "census-0.1.0-cp3*-linux_*.whl"))
    assert len(wheels) == 1, os.listdir(dist)
    pip(py, "install", *offline, wheels[0])
    out = imports(py, tmp_path)
    assert out.startswith("0.1.0 ") and str(tmp_path / "v") in out

    # The extension exports its init function and nothing of census (version script).
    so = out.split()[1]
    assert exported_symbols(so) == ["PyInit__census"]

    # The sdist, made by setuptools' PEP 517 backend with Debian's setuptools, offline.
    sdist_dir = tmp_path / "sdist"
    subprocess.run([py, "-c", "import sys; from setuptools import build_meta as b; "
                    "print(b.build_sdist(sys.argv[1]))", str(sdist_dir)],
                   cwd=PACKAGE_DIR, check=True, capture_output=True)
    sdists = glob.glob(str(sdist_dir / "census-0.1.0.tar.gz"))
    assert len(sdists) == 1
    listing = subprocess.run(["tar", "tzvf", sdists[0]], capture_output=True, text=True,
                             check=True).stdout
    assert "census-0.1.0/csrc/src/stats/recorder.c" in listing
    assert "census-0.1.0/csrc/exporters/prometheus/prometheus_exporter.c" in listing
    assert " -> " not in listing, "the sdist must hold files, not symbolic links"

    py2 = venv(str(tmp_path / "v2"))
    pip(py2, "install", *offline, sdists[0])
    assert imports(py2, tmp_path).startswith("0.1.0 ")


def test_ordinary_install_with_build_isolation_from_pypi(tmp_path):
    """Ordinary route: `pip install ./bindings/python` with pip's defaults (an isolated build
    environment whose setuptools comes from PyPI), here with the interpreter first on PATH
    (pyenv's 3.11.7 on the project's machines), in a venv without system site-packages."""
    python = os.environ.get("CENSUS_ORDINARY_PYTHON", "python3")
    py = venv(str(tmp_path / "v"), python=python, system_site=False)
    pip(py, "install", PACKAGE_DIR)
    out = imports(py, tmp_path)
    assert out.startswith("0.1.0 ") and str(tmp_path / "v") in out


def test_tests_run_on_debian_python():
    """The suite itself runs on Debian's interpreter (what python3-* packages serve), with the
    census that scripts/test-python.sh installed offline, not the source tree."""
    import census
    assert os.path.realpath(sys.base_prefix) == "/usr"
    assert not census.__file__.startswith(PACKAGE_DIR)
