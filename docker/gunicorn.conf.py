"""Gunicorn settings for the container image, tuned from the environment.

GUNICORN_WORKERS   worker processes (default 3; rule of thumb 2 x cores + 1)
GUNICORN_THREADS   threads per worker (default 1: sync workers)
GUNICORN_TIMEOUT   seconds before a silent worker is killed and restarted (default 60)
GUNICORN_BIND      listen address (default 0.0.0.0:8000)
LOG_LEVEL          gunicorn's error-log level (default info)
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 1000
max_requests_jitter = 100
# Heartbeat files on tmpfs: a container's overlay filesystem can stall workers. /dev/shm is private to the container.
worker_tmp_dir = "/dev/shm"  # noqa: S108
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
