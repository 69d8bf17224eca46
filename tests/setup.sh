#!/usr/bin/env bash
# What `make test` needs beyond the Rust toolchain, installed when missing
# (Debian packages with apt-get, npm packages pinned): tmux for the terminal
# tests, strace for the durability and classifier tests, openssl for the
# TLS tests' test CA, npm and the MCP servers for the MCP tests, node and
# the official ACP SDK for the `mote acp` tests, python3 (with venv) and the
# official provider SDKs, pinned, for the mock's stream checks. A name listed in
# MOTE_TEST_SKIP (comma list: mcp, landlock, chroot, ...) is an explicit
# opt-out: its prerequisites are not installed and its tests do not run.
set -euo pipefail
cd "$(dirname "$0")/.."

skipped() { case ",${MOTE_TEST_SKIP:-}," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

need_apt=()
command -v tmux >/dev/null || need_apt+=(tmux)
command -v strace >/dev/null || need_apt+=(strace)
command -v openssl >/dev/null || need_apt+=(openssl)
if ! skipped mcp || ! skipped acp; then
	command -v npm >/dev/null || need_apt+=(npm)
fi
if ! skipped sdk; then
	python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3 python3-venv)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "== installing ${need_apt[*]} (Debian packages)" >&2
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq "${need_apt[@]}"
fi
if ! skipped mcp; then
	tests/mcp/setup.sh >/dev/null
fi
if ! skipped acp; then
	tests/acp/setup.sh >/dev/null
fi
if ! skipped sdk; then
	tests/sdk/setup.sh
fi
