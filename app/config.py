"""Configuration classes, read from environment variables with working defaults."""
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


def _instance_dir() -> Path:
    """Where local state lives (SQLite file, embedded index, secret key)."""
    return Path(os.environ.get("INSTANCE_PATH", DEFAULT_INSTANCE))


def _secret_key(instance: Path) -> str:
    """Use SECRET_KEY if set, else a random key persisted in the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance / "secret_key"
    if not key_file.exists():
        instance.mkdir(parents=True, exist_ok=True)
        key_file.write_text(os.urandom(32).hex())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes" are true)."""
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Base configuration: SQLite file and embedded search engine in the instance folder."""

    TESTING = False
    JSON_AS_ASCII = False
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024

    def __init__(self) -> None:
        instance = _instance_dir()
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = _secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'yianshifa.sqlite3'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "embedded")
        self.SEARCH_INDEX_PATH = os.environ.get(
            "SEARCH_INDEX_PATH", str(instance / "search-index")
        )
        # Elasticsearch / OpenSearch (SEARCH_BACKEND=elasticsearch|opensearch): docs/search-engines.md
        self.SEARCH_URL = os.environ.get("SEARCH_URL", "http://127.0.0.1:9200")
        self.SEARCH_USERNAME = os.environ.get("SEARCH_USERNAME") or None
        self.SEARCH_PASSWORD = os.environ.get("SEARCH_PASSWORD") or None
        self.SEARCH_API_KEY = os.environ.get("SEARCH_API_KEY") or None
        self.SEARCH_CA_CERTS = os.environ.get("SEARCH_CA_CERTS") or None
        self.SEARCH_VERIFY_CERTS = _bool("SEARCH_VERIFY_CERTS", True)
        self.SEARCH_TIMEOUT = float(os.environ.get("SEARCH_TIMEOUT", "10"))
        self.SEARCH_INDEX_PREFIX = os.environ.get("SEARCH_INDEX_PREFIX", "yianshifa")
        self.SEARCH_SHARDS = int(os.environ.get("SEARCH_SHARDS", "1"))
        # "0-1": one replica as soon as the cluster has a second node; or a fixed number.
        self.SEARCH_REPLICAS = os.environ.get("SEARCH_REPLICAS", "0-1")
        self.SEARCH_LOCK_PATH = os.environ.get("SEARCH_LOCK_PATH", str(instance / "search-lock"))
        # The embedded engine applies outbox rows right after each commit.
        self.SEARCH_SYNC_ON_COMMIT = _bool("SEARCH_SYNC_ON_COMMIT", True)
        # Served over HTTPS: send the login cookie only over HTTPS.
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        # A touch-screen kiosk in a government hall: large targets, no external links, idle reset.
        self.KIOSK_MODE = _bool("KIOSK_MODE", False)
        self.KIOSK_IDLE_SECONDS = int(os.environ.get("KIOSK_IDLE_SECONDS", "120"))
        # The site's public address (https://pufa.example.gov.cn): canonical links, QR codes, feeds.
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")


class DevelopmentConfig(Config):
    """Local development."""

    DEBUG = True


class ProductionConfig(Config):
    """Production: same defaults, secrets and URLs come from the environment."""


class TestingConfig(Config):
    """Tests: a fresh instance folder per test is passed in by the fixtures."""

    TESTING = True


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def load_config(name: str | None = None) -> Config:
    """Build the configuration object named by `name` or APP_ENV (default production)."""
    return CONFIGS[name or os.environ.get("APP_ENV", "production")]()
