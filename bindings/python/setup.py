"""Builds census._census, the one C extension of the census package.

Only ext_modules lives here: the metadata is in pyproject.toml ([project]). Debian 12's
setuptools 66 reads [project] but refuses ext-modules in [tool.setuptools], so the extension
has to be declared in a setup.py (see docs/python.md, "Install").

The extension compiles census's C core and its exporters in (one shared object, every census
symbol hidden), rather than linking an installed libcensus: `pip install` then works from a
plain checkout or an sdist with no census installed and no rpath to get right, and two copies
of the library can never meet in one process through the binding. The exporters link the
system libraries they need: libcurl and zlib (the push exporters), OpenSSL's libcrypto and
jansson (Google Cloud, OTLP), libmicrohttpd (Prometheus).

The C sources are reached through csrc/, three symbolic links into the repository (src,
include, exporters). An sdist copies the files behind them (MANIFEST.in), so an sdist builds
on its own, and the paths below are the same in both cases.
"""

import glob
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = "csrc"

# The exporters compiled in: every one census ships. Each is a directory of exporters/.
EXPORTERS = ["common", "stdout", "http", "prometheus", "otlp", "google_cloud", "zipkin"]


def c_sources():
    """The glue (src/*.c) and census's C core and exporters, relative to this directory."""
    core = sorted(glob.glob(os.path.join(CSRC, "src", "**", "*.c"), recursive=True))
    exporters = []
    for name in EXPORTERS:
        exporters += sorted(glob.glob(os.path.join(CSRC, "exporters", name, "*.c")))
    glue = sorted(glob.glob(os.path.join("src", "*.c")))
    if not core or not exporters:
        raise SystemExit(
            "census: the C sources are missing under %s/ (expected csrc/src, csrc/include and "
            "csrc/exporters: symbolic links into a census checkout, or directories in an "
            "sdist). Build from the census repository or from its sdist."
            % os.path.join(HERE, CSRC))
    return glue + core + exporters


def pkg_config(package, fallback):
    """Compiler and linker flags of a pkg-config package, or `fallback` without pkg-config."""
    if shutil.which("pkg-config"):
        try:
            out = subprocess.check_output(["pkg-config", "--cflags", "--libs", package],
                                          text=True, stderr=subprocess.DEVNULL)
            return out.split()
        except subprocess.CalledProcessError:
            pass
    return fallback


def system_flags():
    """(include_dirs, libraries, library_dirs) of the exporters' system libraries."""
    flags = []
    for package, fallback in [("libcurl", ["-lcurl"]), ("zlib", ["-lz"]),
                              ("libcrypto", ["-lcrypto"]), ("jansson", ["-ljansson"]),
                              ("libmicrohttpd", ["-lmicrohttpd"])]:
        flags += pkg_config(package, fallback)
    include_dirs = [f[2:] for f in flags if f.startswith("-I")]
    libraries = [f[2:] for f in flags if f.startswith("-l")]
    library_dirs = [f[2:] for f in flags if f.startswith("-L")]
    return include_dirs, libraries + ["pthread", "m"], library_dirs


include_dirs, libraries, library_dirs = system_flags()
extension = Extension(
    "census._census",
    sources=c_sources(),
    include_dirs=["src", os.path.join(CSRC, "include"), os.path.join(CSRC, "src")]
    + [os.path.join(CSRC, "exporters", name) for name in EXPORTERS] + include_dirs,
    libraries=libraries,
    library_dirs=library_dirs,
    define_macros=[("_GNU_SOURCE", None)],
    # census is C11; its symbols stay inside the extension (only PyInit__census is exported).
    extra_compile_args=["-std=c11", "-fvisibility=hidden", "-O2", "-Wno-unused-parameter",
                        "-Wno-missing-field-initializers"],
    # census's public functions are marked visible for libcensus; here the version script keeps
    # them local, so the extension exports PyInit__census alone and cannot clash with a
    # libcensus loaded by something else in the same process.
    extra_link_args=["-Wl,--version-script=" + os.path.join(HERE, "census.map")],
    depends=["census.map"],
)


class parallel_build_ext(build_ext):
    """build_ext that compiles the extension's ~90 C files on every CPU (CENSUS_BUILD_JOBS
    overrides the count), as numpy's build does: setuptools compiles one file at a time."""

    def build_extension(self, ext):
        compiler = self.compiler
        jobs = int(os.environ.get("CENSUS_BUILD_JOBS", "0")) or os.cpu_count() or 1
        needed = ("_setup_compile", "_get_cc_args", "_compile")
        if jobs > 1 and all(hasattr(compiler, name) for name in needed):
            compiler.compile = _parallel_compile(compiler, jobs)
        super().build_extension(ext)


def _parallel_compile(compiler, jobs):
    """CCompiler.compile with the per-file _compile calls spread over a thread pool."""
    def compile(sources, output_dir=None, macros=None, include_dirs=None, debug=0,
                extra_preargs=None, extra_postargs=None, depends=None):
        macros, objects, extra_postargs, pp_opts, build = compiler._setup_compile(
            output_dir, macros, include_dirs, sources, depends, extra_postargs)
        cc_args = compiler._get_cc_args(pp_opts, debug, extra_preargs)

        def one(obj):
            src, ext = build[obj]
            compiler._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(one, [obj for obj in objects if obj in build]))
        return objects
    return compile


setup(ext_modules=[extension], cmdclass={"build_ext": parallel_build_ext})
