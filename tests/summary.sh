#!/usr/bin/env bash
# `make test`'s closing summary: from the two cargo test logs (mote's
# package, then the mock's own package, tests/mock), how many tests ran in
# each kind, so the number of tests that really run mote stands apart from
# those that exercise only the mock: unit tests of mote's code (src/), the
# integration suites that run the mote binary (tests/*.rs), and the mock-only
# tests (tests/mock/tests/: the mock itself, its streams read by the
# provider SDKs). Usage: tests/summary.sh MOTE_LOG MOCK_LOG
set -euo pipefail

# Sums "test result: ... N passed; M failed; K ignored" per kind; a suite's
# kind is set by cargo's "Running" line before it.
count() {
	awk -v mock="$2" '
		/^ *Running unittests src\// { kind = "unit"; suites["unit"]++ }
		/^ *Running tests\// { kind = mock ? "mock" : "mote"; suites[kind]++ }
		/^ *Running unittests / && mock { kind = "mock" }
		/^ *Doc-tests / { kind = "doc" }
		/^test result:/ {
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^passed/) p[kind] += $(i - 1)
				if ($i ~ /^failed/) f[kind] += $(i - 1)
				if ($i ~ /^ignored/) g[kind] += $(i - 1)
			}
		}
		END { for (k in p) printf "%s %d %d %d %d\n", k, p[k], f[k], g[k], suites[k] }
	' "$1"
}

{ count "$1" 0; count "$2" 1; } | awk '
	{ p[$1] += $2; f[$1] += $3; g[$1] += $4; s[$1] += $5 }
	END {
		printf "== tests: %d integration tests that run mote (%d suites, tests/*.rs), %d unit tests of mote'"'"'s code (src/),\n", p["mote"] + f["mote"], s["mote"], p["unit"] + f["unit"]
		printf "==        %d mock-only tests that never run mote (tests/mock/tests/: the mock, its streams read by the provider SDKs)\n", p["mock"] + f["mock"]
		printf "==        failed: %d; ignored: %d\n", f["mote"] + f["unit"] + f["mock"] + f["doc"], g["mote"] + g["unit"] + g["mock"] + g["doc"]
	}'
