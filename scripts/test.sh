#!/usr/bin/env bash
# Install the package with its test extras into .venv, then lint and run every test.
# PostgreSQL-backed tests start a throwaway server with the machine's PostgreSQL binaries
# (as the 'postgres' user when run as root), unless FLEX_SEGMENTS_TEST_POSTGRES_URL names one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/venv.sh" "[test]"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1 \
   && [ -z "${FLEX_SEGMENTS_TEST_POSTGRES_URL:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL server binaries are missing: install them (Debian: apt-get install postgresql)" >&2
    exit 1
  fi
fi
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
