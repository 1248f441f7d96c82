#!/usr/bin/env bash
# Installs everything gen and its test suite need on a fresh Debian machine:
# system packages (Graphviz for SVG diagrams, PostgreSQL 15 with contrib for extension tests),
# the Python package with its dev extras (incl. pgserver: PostgreSQL 16 + pgvector),
# and the pinned npm tools the tests use to check our output with the real parsers.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql postgresql-contrib)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e ".[dev]"

for dir in tests/tools tests/orm; do
  if [ -f "$dir/package-lock.json" ]; then
    npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --silent
  fi
done
echo "setup complete: run 'gen --help'"
