#!/usr/bin/env bash
# Refreshes the graph-drawing library shipped inside the package (tracegraph/web/static/vendor) from npm.
# The web page never fetches code at run time; run this only to upgrade the pinned versions below.
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=tracegraph/web/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent \
    cytoscape@3.35.0 cytoscape-dagre@2.5.0 dagre@0.8.5 graphlib@2.1.8 lodash@4.18.1)
mods="$work/node_modules"
rm -rf "$VENDOR" && mkdir -p "$VENDOR/licenses"
cp "$mods/cytoscape/dist/cytoscape.min.js" "$mods/dagre/dist/dagre.min.js" "$mods/cytoscape-dagre/cytoscape-dagre.js" "$VENDOR/"
for pkg in cytoscape cytoscape-dagre dagre graphlib lodash; do   # dagre.min.js bundles graphlib and lodash
    cp "$mods/$pkg/LICENSE" "$VENDOR/licenses/$pkg.LICENSE"
    echo "$pkg $(node -p "require('$mods/$pkg/package.json').version") $(node -p "require('$mods/$pkg/package.json').license")"
done > "$VENDOR/VERSIONS.txt"
cat "$VENDOR/VERSIONS.txt"
