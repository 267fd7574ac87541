"""gunicorn settings of the documented deployment:

    gunicorn -c python:p4p.gunicorn_conf 'p4p:create_app()'

Threaded workers, because a request that waits (an export streaming to a slow reader, a
phone on a weak signal sending its form) holds a thread, not a whole process: with sync
workers four such requests stop every page, participants' included. nginx in front buffers
each request before passing it on and each answer before sending it, so slow clients hold
nginx connections, which are cheap, not these threads. Command-line options override these.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
# WEB_CONCURRENCY is gunicorn's own variable for the worker count. Two of eight threads serve
# a trial's staff and participants; with the embedded `memory://` rate-limit store each worker
# counts on its own, so keep the workers few or share the count (P4P_RATELIMIT_STORAGE_URI).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = 8
# A worker thread that answers nothing for this long is stuck: gunicorn restarts the worker.
timeout = 60
graceful_timeout = 30
keepalive = 5
# No access log: gunicorn's keeps query strings, which may carry a token; p4p logs each
# request itself without them.
accesslog = None
