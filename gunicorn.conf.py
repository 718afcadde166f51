"""gunicorn settings, read from the working directory by `gunicorn wsgi:app` (scripts/run).

The request-line limits are raised to gunicorn's maximum so that a long query in a shared link
reaches the app, which answers with a Chinese message (the query is limited to 200 characters),
instead of gunicorn's own English "Request Line is too large" page.
"""
import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 30
graceful_timeout = 30
limit_request_line = 8190  # gunicorn's maximum: ~900 Chinese characters, percent-encoded
limit_request_field_size = 8190
limit_request_fields = 100
accesslog = "-"
