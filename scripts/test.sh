#!/usr/bin/env bash
# Installs everything the test suite needs into .venv and runs it. Used by the README and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's Chromium through Playwright (never `playwright install`):
# install it from apt once, when it is missing.
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver \
        || echo "warning: could not install chromium with apt; the browser tests will be skipped" >&2
fi
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
# Neo4j's Cypher linter, exactly as package-lock.json pins it (tests/neo4j lint every statement with it)
(cd tools/cypher-lint && npm ci --no-audit --no-fund --loglevel=error)
exec .venv/bin/python -m pytest "$@"
