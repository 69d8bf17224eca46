#!/usr/bin/env bash
# Installs the third-party MCP programs the tests run against, pinned, into
# target/npm (gitignored). Idempotent: a stamp file records the pinned set.
# Prints the node_modules directory on success. Needs npm and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=target/npm
PKGS="@modelcontextprotocol/server-everything@2026.8.31 @modelcontextprotocol/server-filesystem@2026.8.31 @modelcontextprotocol/conformance@0.1.16 node@22"
STAMP="$DIR/.installed"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PKGS" ] && [ -d "$DIR/node_modules" ]; then
	echo "$PWD/$DIR/node_modules"
	exit 0
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name":"mote-mcp-tests","private":true}' > "$DIR/package.json"
# shellcheck disable=SC2086
npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error $PKGS >&2
echo "$PKGS" > "$STAMP"
echo "$PWD/$DIR/node_modules"
