"""The two HTTP clients (opensearch-py, elasticsearch 8) behind one small REST interface.

The backend speaks plain REST paths and JSON bodies, which both engines understand alike;
only connecting, authenticating and error types differ, and those live here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from indexer.backends.base import SearchUnavailable

JSON = {"accept": "application/json", "content-type": "application/json"}
NDJSON = {"accept": "application/json", "content-type": "application/x-ndjson"}
NOT_ELASTICSEARCH = "SEARCH_URL is not an Elasticsearch 8 server (for OpenSearch set SEARCH_BACKEND=opensearch)"
BULK_TIMEOUT = 120.0  # a bulk of long judgments on a busy cluster can take far longer than a search


class EngineError(RuntimeError):
    """The engine answered with an error status (a bug or a misconfiguration, not an outage)."""

    def __init__(self, status: int, info: Any):
        super().__init__(f"engine error {status}: {json.dumps(info, ensure_ascii=False)[:500]}")
        self.status = status
        self.info = info


@dataclass
class ConnectionSettings:
    """Where the engine is and how to reach it (all from configuration)."""

    url: str
    username: str | None = None
    password: str | None = None
    api_key: str | None = None  # Elasticsearch only
    ca_certs: str | None = None
    verify_certs: bool = True
    timeout: float = 10.0


class EngineClient:
    """request(method, path, body, params) → JSON answer; outages raise SearchUnavailable."""

    timeout: float = 10.0

    def request(self, method: str, path: str, body: Any = None, params: dict | None = None,
                ndjson: bool = False, timeout: float | None = None) -> Any:
        raise NotImplementedError

    def bulk(self, body: str, params: dict | None = None) -> dict:
        """POST /_bulk with NDJSON lines; bulk loads get more time than a search (BULK_TIMEOUT)."""
        return self.request("POST", "/_bulk", body, params, ndjson=True, timeout=max(self.timeout, BULK_TIMEOUT))


class OpenSearchClient(EngineClient):
    """opensearch-py: for OpenSearch (the elasticsearch client refuses non-Elastic servers)."""

    def __init__(self, settings: ConnectionSettings):
        from opensearchpy import OpenSearch

        auth = (settings.username, settings.password) if settings.username else None
        self.timeout = settings.timeout
        self._client = OpenSearch(
            hosts=[settings.url], http_auth=auth, verify_certs=settings.verify_certs, ca_certs=settings.ca_certs,
            timeout=settings.timeout, max_retries=1, retry_on_timeout=False, ssl_show_warn=False,
        )

    def request(self, method, path, body=None, params=None, ndjson=False, timeout=None):
        from opensearchpy.exceptions import ConnectionError as OsConnectionError
        from opensearchpy.exceptions import TransportError

        try:
            return self._client.transport.perform_request(
                method, path, params=params or {}, body=body, headers=NDJSON if ndjson else JSON,
                timeout=timeout or self.timeout)
        except OsConnectionError as exc:  # refused, reset, timeout, TLS
            raise SearchUnavailable(f"search engine unreachable: {exc.__class__.__name__}") from exc
        except TransportError as exc:
            if not isinstance(exc.status_code, int) or exc.status_code in (502, 503, 504):
                raise SearchUnavailable(f"search engine unavailable: {exc.status_code}") from exc
            raise EngineError(exc.status_code, exc.info) from exc


class ElasticsearchClient(EngineClient):
    """The official elasticsearch 8 client, for Elasticsearch 8.x servers."""

    def __init__(self, settings: ConnectionSettings):
        from elasticsearch import Elasticsearch

        auth: dict[str, Any] = {"basic_auth": (settings.username, settings.password)} if settings.username else {}
        if settings.api_key:
            auth = {"api_key": settings.api_key}
        self.timeout = settings.timeout
        # ca_certs may be None (no CA file given): the client hands it to NodeConfig.ca_certs, an Optional[str],
        # but its signature says str only.
        self._client = Elasticsearch(
            settings.url, verify_certs=settings.verify_certs, ca_certs=settings.ca_certs,  # type: ignore[arg-type]
            request_timeout=settings.timeout, max_retries=1, retry_on_timeout=False, **auth,
        )

    def request(self, method, path, body=None, params=None, ndjson=False, timeout=None):
        from elastic_transport import ConnectionError as EsConnectionError
        from elastic_transport import ConnectionTimeout
        from elasticsearch import ApiError, UnsupportedProductError

        client = self._client.options(request_timeout=timeout) if timeout else self._client
        try:
            return client.perform_request(
                method, path, params=params or {}, headers=NDJSON if ndjson else JSON, body=body).body
        except (EsConnectionError, ConnectionTimeout) as exc:
            raise SearchUnavailable(f"search engine unreachable: {exc.__class__.__name__}") from exc
        except UnsupportedProductError as exc:  # e.g. an OpenSearch server: a configuration error
            raise SearchUnavailable(NOT_ELASTICSEARCH) from exc
        except ApiError as exc:
            if exc.meta.status == 406 and "compatible-with" in str(exc.body):  # OpenSearch refuses ES 8 headers
                raise SearchUnavailable(NOT_ELASTICSEARCH) from exc
            if exc.meta.status in (502, 503, 504):
                raise SearchUnavailable(f"search engine unavailable: {exc.meta.status}") from exc
            raise EngineError(exc.meta.status, exc.body) from exc


CLIENTS = {"opensearch": OpenSearchClient, "elasticsearch": ElasticsearchClient}
