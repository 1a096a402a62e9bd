"""census.shm: shared-memory mode, one view of the stats of a group of processes (gunicorn,
uWSGI, Celery, multiprocessing workers), surviving SIGKILL (docs/shared-memory.md,
docs/python.md "Pre-fork servers").

Each process of the group keeps its cells in a memory-mapped file of its own under one
directory; any process (a worker that a Prometheus scrape reaches, the master, a sidecar that
records nothing) reads every file and exports the merged view: counts, sums and distributions
add, last values follow the gauge mode. What a process recorded before it was killed stays
counted. Nothing else changes in user code: record with census.stats as always.

Turn it on with :func:`enable` or the environment variable ``CENSUS_SHM_DIR``, at any time,
before or after fork (no "set it before import"). In the mode, ``census.stats``' view data, the
Prometheus exporter and :func:`census.ext.prometheus.stats_exporter.render` show the group's
merged view, and only the group's leader pushes to OTLP or Cloud Monitoring.

For gunicorn, the configuration file (``gunicorn.conf.py``) gets::

    from census.shm import on_starting, post_fork, child_exit  # noqa: F401 (gunicorn hooks)
    raw_env = ["CENSUS_SHM_DIR=/dev/shm/myapp-census"]  # or os.environ[...] = ...

Every function here is thread-safe. Directories are str, bytes or os.PathLike. Errors are
census's exception classes: :class:`census.InvalidArgumentError` (also a ValueError) for a bad
argument or directory, :class:`census.SystemCallError` (also an OSError) when a directory cannot
be read, :class:`census.ShutdownError` after :func:`census.shutdown`; each message quotes what
census reported.
"""

import os

from census import _census

__all__ = [
    "GAUGE_MODES", "child_exit", "clear", "compact", "enable", "enabled", "is_leader",
    "on_starting", "post_fork", "set_gauge_mode", "stats", "view_data",
]

#: The gauge modes (how the merged view shows a LastValue view, whose rows cannot be added), by
#: their CENSUS_SHM_GAUGE names, as prometheus_client's ``multiprocess_mode``: the most recent
#: value of any process, dead or alive (the default); the maximum, minimum or sum over every
#: process that set it; one row per live process with a ``pid`` column added; the same four over
#: live processes only.
GAUGE_MODES = {
    "most_recent": 0, "max": 1, "min": 2, "sum": 3, "all": 4,
    "live_most_recent": 5, "live_max": 6, "live_min": 7, "live_sum": 8,
}

_directory = None  # the directory given to enable() in this process


def enable(directory):
    """Turns shared-memory mode on for this process, in the group whose directory is
    `directory` (it must exist and be writable; one directory per group, a tmpfs such as
    /dev/shm keeps it in memory). Before or after fork: a fork child of a process in the mode is
    in it too, with a file of its own. Values recorded before stay in this process only.
    Idempotent for the same directory.

    Thread-safe.

    :raises census.InvalidArgumentError: an empty or too long path, not a writable directory,
        or the mode already on with another directory
    :raises census.ShutdownError: after census.shutdown()
    """
    global _directory
    _census.shm_enable(directory)
    _directory = os.fsdecode(directory)


def enabled():
    """Whether shared-memory mode is on in this process (by :func:`enable`, or by
    ``CENSUS_SHM_DIR`` once census noticed it: at a thread's next new series or the next
    collection). Never raises. Thread-safe."""
    return _census.shm_enabled()


def set_gauge_mode(mode):
    """Sets how this process's merged views show LastValue views: one of :data:`GAUGE_MODES`'
    names (``"most_recent"``, ``"max"``, ``"min"``, ``"sum"``, ``"all"``, ``"live_..."``).
    ``CENSUS_SHM_GAUGE`` does the same. Thread-safe.

    :raises census.InvalidArgumentError: an unknown mode (the message lists the known ones)
    """
    if mode not in GAUGE_MODES:
        raise _census.InvalidArgumentError(
            "census.shm.set_gauge_mode: unknown gauge mode %r; use one of %s"
            % (mode, ", ".join(sorted(GAUGE_MODES))))
    _census.shm_gauge_mode_set(GAUGE_MODES[mode])


def _group_directory(directory):
    if directory is not None:
        return directory
    if _directory is not None:
        return _directory
    env = os.environ.get("CENSUS_SHM_DIR")
    if env:
        return env
    raise _census.InvalidArgumentError(
        "census.shm: no group directory: pass one, call census.shm.enable(directory) or set "
        "CENSUS_SHM_DIR")


def view_data(directory=None):
    """The group's merged view: a list of census.stats.view_data.ViewData, one per view met in
    the group's files, read from `directory` (default: the directory of :func:`enable`, else
    ``CENSUS_SHM_DIR``). Needs no :func:`enable`, so a sidecar that records nothing can read a
    group. Dead processes' files are compacted first when no other process is doing so. A file
    that cannot be read (empty, torn, another format version, gone mid-read) is left out and
    reported once through census's diagnostics; the rest is read. The GIL is released while it
    reads. Thread-safe.

    :raises census.InvalidArgumentError: no directory given and none known
    :raises census.SystemCallError: the directory cannot be listed
    :raises census.ShutdownError: after census.shutdown()
    """
    from census.stats import view_data as view_data_module
    from census.stats import view_manager
    snapshots = _census.shm_view_data_get_all(_group_directory(directory))
    registered = view_manager._registered_views
    out = []
    for s in snapshots:
        view = registered.get(s[0])
        # The "all" gauge mode adds a pid column the registered view does not have.
        usable = {s[0]: view} if view is not None and list(view.columns) == list(s[7]) else {}
        out.append(view_data_module._from_snapshot(s, usable))
    return out


def compact(directory=None):
    """Compacts the group now: folds every dead process's file (its process exited or was
    killed) into the group's archive and removes it, so the directory holds O(live processes)
    files; totals never go backwards and no file is counted twice, whatever crashes meanwhile.
    A scrape does the same first; calling it when a worker is reaped keeps scrapes fast.
    `directory` as for :func:`view_data`. Returns the number of files folded in (0: none was
    dead). Waits while another process reads or compacts the group (milliseconds); the GIL is
    released meanwhile. Thread-safe.

    :raises census.InvalidArgumentError: no directory given and none known
    :raises census.SystemCallError: the directory or its lock file cannot be opened
    :raises census.ShutdownError: after census.shutdown()
    """
    return _census.shm_compact(_group_directory(directory))


def is_leader():
    """Whether this process leads the group now: the one process whose export step pushes the
    group's merged view to push exporters (OTLP, Cloud Monitoring, stdout, Python exporters).
    It only asks: a process takes the lead at its export step when it has an exporter registered
    and the lead is free (the kernel frees a dead leader's lock, so another takes over). False
    when the mode is off. Never raises. Thread-safe."""
    return _census.shm_is_leader()


def stats():
    """This process's shared-memory counters, a dict: ``files_opened`` (1 per process, plus one
    in each fork child), ``unshared_cells`` (series that could not be placed in the file, a full
    disk: they record in this process's totals, reported once), ``uncarried_series`` (series
    whose in-process totals, records made before the mode was on or by such a cell, could not be
    carried into the file at a collection: a full disk, tried again at each collection, reported
    once). Never raises. Thread-safe."""
    return _census.shm_stats()


def clear(directory):
    """Makes `directory` (and its parents) if missing and removes the census files of a previous
    run of the group from it (``census-*`` only; other files are left), so that a restarted
    server starts its counters at zero, as Prometheus expects of a restarted target. Call it
    before any process of the new group starts (gunicorn's on_starting), never while a group
    uses the directory. Thread-safe.

    :raises OSError: the directory cannot be made or a file cannot be removed
    """
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if os.fsdecode(name).startswith("census-"):
            try:
                os.unlink(os.path.join(directory, name))
            except FileNotFoundError:
                pass


# ---- gunicorn server hooks (import them into gunicorn.conf.py) -------------------------------


def on_starting(server):
    """gunicorn's on_starting hook (in the master, before any worker): a fresh group per master
    start, :func:`clear` of ``CENSUS_SHM_DIR``. Raises census.InvalidArgumentError when the
    variable is not set."""
    clear(_group_directory(None))


def post_fork(server, worker):
    """gunicorn's post_fork hook (in each worker, right after the fork): :func:`enable` with
    ``CENSUS_SHM_DIR`` (the variable alone would do it at the worker's first record; the call
    reports a bad directory at once, in the worker's log). Raises as :func:`enable`."""
    enable(_group_directory(None))


def child_exit(server, worker):
    """gunicorn's child_exit hook (in the master, after it reaped a worker, whatever ended it:
    max_requests, timeout, SIGKILL): :func:`compact`, so the worker's file joins the archive now
    rather than at the next scrape. Optional: a dead worker's file is counted either way. Errors
    are logged through the server's log, never raised into gunicorn's arbiter."""
    try:
        compact()
    except Exception as e:  # noqa: BLE001 (a hook must not stop the arbiter)
        log = getattr(server, "log", None)
        if log is not None:
            log.warning("census.shm.child_exit: %s", e)
