#!/usr/bin/env bash
# The official provider SDKs (Python), pinned, in a venv under target/, for
# tests/mock/tests/sdk.rs: each SDK's streaming client reads the mock's stream.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/sdk-venv
pins="openai==3.51.0 anthropic==2.10.0 google-genai==3.3.0 ollama==0.6.3"
if [ -f "$venv/pins" ] && [ "$(cat "$venv/pins")" = "$pins" ]; then
	exit 0
fi
command -v python3 >/dev/null || { echo "tests/sdk/setup.sh: python3 is needed" >&2; exit 1; }
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check $pins
echo "$pins" > "$venv/pins"
