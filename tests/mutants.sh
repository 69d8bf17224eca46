#!/usr/bin/env bash
# Mutation testing with cargo-mutants (`make mutants`, `make mutants-diff`,
# CI), one set of files at a time with only the tests that cover it: the
# sets are the rows of .cargo/mutants-sets, the exclusions (equivalent
# mutants, with why) are in .cargo/mutants.toml.
#
#   tests/mutants.sh [SET...]       the named sets (default: all), in a
#                                   scratch copy of the tree (target/mutants/tree,
#                                   its own target dir kept between runs);
#                                   counts per set in target/mutants/counts.txt
#   tests/mutants.sh --in-diff BASE [--cap SECS] [--max N] [--here]
#                                   only the mutants on lines changed since
#                                   BASE, every set, within SECS seconds in all
#                                   (default 240); --max N tests only the
#                                   first N of them in list order (sets in
#                                   their file's order), so which mutants a
#                                   run reaches does not depend on the
#                                   machine's speed; --here mutates this tree in
#                                   place (CI's throwaway clone: its debug build
#                                   cache is warm from `make test`)
#
# Fails when a mutant is missed (or its set's tests fail unmutated). A set
# cut off by the cap is reported, not failed. Runs under nice -n 19 with one
# job: the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/target/mutants
base=""
cap=""
max=0
here=0
sets=()
while [ $# -gt 0 ]; do
	case $1 in
	--in-diff) base=$2; shift ;;
	--cap) cap=$2; shift ;;
	--max) max=$2; shift ;;
	--here) here=1 ;;
	*) sets+=("$1") ;;
	esac
	shift
done
[ -n "$cap" ] || cap=$([ -n "$base" ] && echo 240 || echo 0)
mkdir -p "$out"
# The tests must run the mutated debug binary, not a release one.
unset MOTE_BIN MOTE_RUNNER

tree=$root
if [ "$here" = 0 ]; then
	tree=$out/tree
	rm -rf "$tree" && mkdir -p "$tree"
	git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$tree" 2>/dev/null || true
	export CARGO_TARGET_DIR=$out/target
fi

diff=""
if [ -n "$base" ]; then
	diff=$out/in.diff
	git diff "$base" -- src > "$diff"
	echo "== mutants in the diff since $(git rev-parse --short "$base"): $(grep -c '^+++ ' "$diff" || true) files changed under src/"
fi

start=$(date +%s)
status=0
: > "$out/counts.txt"
while read -r name glob tests; do
	case $name in '' | '#'*) continue ;; esac
	if [ ${#sets[@]} -gt 0 ] && ! printf '%s\n' "${sets[@]}" | grep -qx "$name"; then continue; fi
	args=(--in-place --no-shuffle -f "$glob" -o "$out/$name" --minimum-test-timeout 60)
	[ -z "$diff" ] || args+=(--in-diff "$diff" --baseline=skip --timeout 120)
	test_args=()
	for t in $tests; do
		case $t in
		lib) args+=(--cargo-arg=--lib) ;;
		lib:*) args+=(--cargo-arg=--lib); IFS=, read -ra f <<< "${t#lib:}"; test_args=(-- "${f[@]}") ;;
		*) args+=(--cargo-arg=--test="$t") ;;
		esac
	done
	# The grep prefilter's equivalence test is a minute of debug-build CPU
	# and covers none of these sets.
	[ ${#test_args[@]} -gt 0 ] || test_args=(--)
	test_args+=(--skip tool::grep::equiv)
	limit=()
	if [ "$cap" != 0 ]; then
		left=$((cap - ($(date +%s) - start)))
		if [ "$left" -le 10 ]; then
			echo "== $name: not run, the ${cap} s cap is spent"
			continue
		fi
		limit=(timeout -s INT "$left")
	fi
	if [ "$max" != 0 ] && [ -n "$diff" ]; then
		# The first `max` mutants of the diff, by exact name: a set that
		# would pass the limit runs only its first ones.
		if [ "$max" -le 0 ]; then
			echo "== $name: not run, the mutant limit is spent"
			continue
		fi
		mapfile -t listed < <(cd "$tree" && cargo mutants --list --in-diff "$diff" -f "$glob")
		if [ ${#listed[@]} -gt "$max" ]; then
			listed=("${listed[@]:0:$max}")
			for m in "${listed[@]}"; do
				args+=(--re "^$(printf '%s' "$m" | sed 's/[][\\.*^$()+?{}|]/\\&/g')\$")
			done
			echo "== $name: the first $max of its mutants in the diff (the limit)"
		fi
		max=$((max - ${#listed[@]}))
		[ "$max" -gt 0 ] || max=-1
	fi
	echo "== $name ($glob; tests: $tests)"
	# A set with no mutants to test writes no results: clear the last run's.
	rm -rf "${out:?}/$name"
	rc=0
	(cd "$tree" && "${limit[@]}" nice -n 19 cargo mutants "${args[@]}" -- "${test_args[@]}") || rc=$?
	n() { [ -f "$out/$name/mutants.out/$1.txt" ] && wc -l < "$out/$name/mutants.out/$1.txt" || echo 0; }
	line="$name caught=$(n caught) missed=$(n missed) unviable=$(n unviable) timeout=$(n timeout)"
	[ "$rc" != 124 ] || line="$line (cut off by the cap)"
	echo "== $line" | tee -a "$out/counts.txt"
	[ "$(n missed)" = 0 ] || { status=1; sed 's/^/   MISSED /' "$out/$name/mutants.out/missed.txt"; }
	# 0: all caught; 2: missed (above); 3: timeouts; 124: our cap. Anything
	# else (4: the tests fail unmutated, 1: usage) is a failure.
	case $rc in 0 | 2 | 3 | 124) ;; *) status=1; echo "== $name: cargo mutants exited $rc" ;; esac
done < .cargo/mutants-sets
exit $status
