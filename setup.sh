#!/usr/bin/env bash
# Sets up a checkout for development and for the test suite, on Debian 12 (what CI runs) or a
# Debian/Ubuntu with python3 >= 3.11 and apt:
#   - apt packages the tests need (as root, or through sudo): python3-venv, Graphviz (SVG
#     diagrams), PostgreSQL 15 with contrib (extension tests), zsh and fish (completion tests),
#     git, and Node.js/npm when missing;
#   - .venv: gen (editable) with its test tools (pytest, pgserver = PostgreSQL 16 + pgvector,
#     pre-commit, ...), so a PEP 668 "externally managed" system Python is never touched;
#   - the pinned npm tools the tests check generated files with (tests/tools, tests/orm), and a
#     Node.js >= 20.19 from the npm registry in .tools/ when the system's is older (Prisma 7).
# Then: .venv/bin/python -m pytest -q
set -euo pipefail
cd "$(dirname "$0")"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "setup.sh: need root (or sudo) to run: $*" >&2; exit 3; fi
}

need_apt=()
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15 postgresql-contrib)
command -v zsh >/dev/null 2>&1 || need_apt+=(zsh)
command -v fish >/dev/null 2>&1 || need_apt+=(fish)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup.sh: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"

# Prisma 7 needs Node.js >= 20.19 (Debian 12 ships 18): take one from the npm registry.
node_ok() {
  command -v node >/dev/null 2>&1 && node -e '
    const [a, b] = process.versions.node.split(".").map(Number);
    process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}
if ! node_ok && [ ! -d .tools/node_modules ]; then
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch="" ;; esac
  if [ -n "$arch" ]; then
    npm install --prefix .tools --no-save --ignore-scripts --no-audit --no-fund --silent "node-linux-$arch@20.20.2"
  else
    echo "setup.sh: Node.js >= 20.19 is needed for the Prisma tests; install it for $(uname -m)" >&2
  fi
fi
export PATH="$(ls -d "$PWD"/.tools/node_modules/node-linux-*/bin 2>/dev/null | head -1):$PATH"

for dir in tests/tools tests/orm; do
  if [ -f "$dir/package-lock.json" ] && [ ! -L "$dir/node_modules" ]; then
    npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --silent
  fi
done
echo "setup complete: .venv/bin/gen --help; tests: .venv/bin/python -m pytest -q"
