#!/usr/bin/env bash
# Installs the official ACP TypeScript SDK (pinned), the editor side of the
# `mote acp` tests (tests/acp.rs, tests/acp/client.mjs), into target/npm-acp
# (gitignored). Idempotent: a stamp file records the pinned set. Prints the
# node_modules directory on success. Needs node, npm and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=target/npm-acp
PKGS="@agentclientprotocol/sdk@2.4.0 zod@4.6.7"
STAMP="$DIR/.installed"
command -v node >/dev/null || { echo "tests/acp/setup.sh: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "tests/acp/setup.sh: npm is not installed" >&2; exit 1; }
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PKGS" ] && [ -d "$DIR/node_modules" ]; then
	echo "$PWD/$DIR/node_modules"
	exit 0
fi
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name":"mote-acp-tests","private":true,"type":"module"}' > "$DIR/package.json"
# shellcheck disable=SC2086
npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error $PKGS >&2
echo "$PKGS" > "$STAMP"
echo "$PWD/$DIR/node_modules"
