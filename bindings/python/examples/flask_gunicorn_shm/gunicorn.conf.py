"""gunicorn settings for the shared-memory example: four pre-forked sync workers recycled after
max_requests, all in one census shared-memory group (docs/python.md, "Pre-fork servers").

The group's directory comes from CENSUS_SHM_DIR (set here unless the environment has it; the
workers inherit it). The three hooks are census's:
  on_starting - the master clears the directory: a fresh group per server start;
  post_fork   - each worker joins the group (census.shm.enable);
  child_exit  - the master compacts a reaped worker's file into the group's archive (optional:
                a dead worker's file is counted either way), keeping one file per live worker.
"""

import os

os.environ.setdefault('CENSUS_SHM_DIR', '/dev/shm/census-flask-example')

from census.shm import child_exit, on_starting, post_fork  # noqa: E402,F401 (gunicorn hooks)

bind = '127.0.0.1:8000'
workers = 4
worker_class = 'sync'
max_requests = 1000
max_requests_jitter = 50
graceful_timeout = 10
