"""gunicorn settings for the example: two pre-forked sync workers. Nothing census-specific is
needed: the app is imported in each worker after the fork (no preload_app), and census's
atexit flush runs when a worker exits."""

bind = '127.0.0.1:8000'
workers = 2
worker_class = 'sync'
graceful_timeout = 10
