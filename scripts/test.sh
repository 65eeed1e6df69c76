#!/usr/bin/env bash
# Installs everything the test suite needs into .venv and runs it. Used by the README and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
# Neo4j's Cypher linter, exactly as package-lock.json pins it (tests/neo4j lint every statement with it)
(cd tools/cypher-lint && npm ci --no-audit --no-fund --loglevel=error)
exec .venv/bin/python -m pytest "$@"
