"""gunicorn settings, read from the working directory by `gunicorn wsgi:app` (scripts/run).

The request-line limits are raised to gunicorn's maximum so that a long query in a shared link
reaches the app, which answers with a Chinese message (the query is limited to 200 characters),
instead of gunicorn's own English "Request Line is too large" page.

Each worker is warmed before it takes requests (post_worker_init): the tables, mappers and caches
its first searches would otherwise wait for, ≈ 3 s of a fresh worker's first requests.
"""
import gc
import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 30
graceful_timeout = 30
limit_request_line = 8190  # gunicorn's maximum: ~900 Chinese characters, percent-encoded
limit_request_field_size = 8190
limit_request_fields = 100
accesslog = "-"


def on_starting(server):
    """Load query analysis's tables in the master: forked workers share them (≈ 2 s and ≈ 60 MB each).

    Then move everything loaded so far out of the garbage collector's reach (gc.freeze, as the gc docs
    advise before fork): a worker's collections would otherwise write to these shared pages and copy them.
    """
    from indexer.analysis import warm

    warm()
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    """Warm the worker's app once it is loaded, before its first request; a worker that cannot
    (engine or database down) still starts and answers as it can."""
    from app.services.search import warm

    try:
        with worker.wsgi.app_context():
            warm()
    except Exception:  # never keep a worker from starting
        worker.log.exception("worker warm-up failed")
    # The warmed tables live as long as the worker: freezing them spares every full collection a walk over
    # ≈ 170,000 objects (≈ 100 ms, about once per 600 uncached searches, measured in-process at 10k).
    gc.collect()
    gc.freeze()
