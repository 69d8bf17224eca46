# mote's build, test, bench and demo. `make demo` and `make test` are the two
# commands a new user needs; both install what is missing (the rustup musl
# target, Debian's musl-tools) on first use.

TARGET  := x86_64-unknown-linux-musl
BIN     := target/$(TARGET)/release/mote
MOCK    := target/mock/release/mock-llm
DEMO    := $(or $(TMPDIR),/tmp)/mote-demo
# The temp folder the tests (test, test-arm64) and the bench run with: one
# per checkout and user, a subfolder per target, emptied when a run starts
# (`fresh`) and removed when it passes (`tidy`), so runs leave nothing in
# /tmp (and what mote reads there stays small). Outside the checkout: a
# test's workspace must not sit inside mote's own repository.
SCRATCH := $(or $(TMPDIR),/tmp)/mote-make-$(shell id -u)-$(shell printf %s "$(CURDIR)" | cksum | cut -d' ' -f1)
fresh = rm -rf $(SCRATCH)/$(1) && mkdir -p -m 700 $(SCRATCH)/$(1)
tidy = rm -rf $(SCRATCH)/$(1) && rmdir $(SCRATCH) 2>/dev/null || true

FUZZ_TARGETS := json_stream sse provider_decoders session_load mcp_message shell_tokenizer
FUZZ_SECONDS ?= 300

.PHONY: layout mutants mutants-deps mutants-diff static test bench demo deps clean install size fuzz fuzz-ci fuzz-deps static-arm64 test-arm64 static-armv7 deps-arm64
PREFIX  ?= /usr/local

deps:
	@rustup target list --installed 2>/dev/null | grep -qx $(TARGET) || rustup target add $(TARGET)
	@command -v musl-gcc >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq musl-tools; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq musl-tools; fi; }

static: deps
	cargo build --release --target $(TARGET)

# The mock is a std-only package of its own: the demo does not build
# mote's dependencies a second time for the host.
$(MOCK): tests/mock/*.rs tests/mock/Cargo.toml
	cargo build --release --manifest-path tests/mock/Cargo.toml --target-dir target/mock

# Unit tests, then the integration tests against the static binary, then
# the mock's own tests (tests/mock/tests/: mock-only, they never run mote).
# tests/setup.sh installs what the tests need (tmux, npm, the MCP servers);
# MOTE_TEST_SKIP=mcp,landlock,... is the only way to leave a suite's
# prerequisite out, and the run says so at its end. tests/summary.sh counts
# the tests that run mote apart from the mock-only ones.
test: static
	@tests/setup.sh
	@mkdir -p target && $(call fresh,test)
	{ TMPDIR=$(SCRATCH)/test MOTE_BIN=$(CURDIR)/$(BIN) cargo test --no-fail-fast 2>&1; echo $$? > target/test.rc; } | tee target/test.log
	{ TMPDIR=$(SCRATCH)/test cargo test --no-fail-fast --manifest-path tests/mock/Cargo.toml --target-dir target/mock 2>&1; \
		echo $$? > target/test-mock.rc; } | tee target/test-mock.log
	@tests/summary.sh target/test.log target/test-mock.log
	@[ -z "$(MOTE_TEST_SKIP)" ] || echo "== opted out (MOTE_TEST_SKIP): $(MOTE_TEST_SKIP)"
	@[ "$$(cat target/test.rc)" = 0 ] && [ "$$(cat target/test-mock.rc)" = 0 ]
	@$(call tidy,test)

# Mutation testing of the security and data-loss critical code, one set of
# files at a time with only the tests that cover it (.cargo/mutants-sets;
# exclusions with their reasons in .cargo/mutants.toml), in a scratch copy
# of the tree; cargo-mutants is pinned and installed on first use.
# `make mutants SETS="write json"` runs only those sets.
MUTANTS_VERSION := 25.3.1
mutants-deps:
	@cargo mutants --version 2>/dev/null | grep -qx "cargo-mutants $(MUTANTS_VERSION)" || \
		cargo install --locked cargo-mutants --version $(MUTANTS_VERSION)

mutants: mutants-deps
	tests/mutants.sh $(SETS)

# Only the mutants on lines changed since BASE (default: origin/main),
# within CAP seconds (default 240); CI runs this against the previous stop.
mutants-diff: mutants-deps
	tests/mutants.sh --in-diff $(or $(BASE),origin/main) --cap $(or $(CAP),240)

bench: static
	@$(call fresh,bench)
	TMPDIR=$(SCRATCH)/bench MOTE_BIN=$(CURDIR)/$(BIN) cargo bench --bench budget
	@$(call tidy,bench)

# A whole session against the bundled mock model, on a scratch copy of the
# sample project: the model reads, fixes the bug, runs the test, answers.
demo: static $(MOCK)
	@rm -rf $(DEMO) && cp -r tests/demo/project $(DEMO)
	@echo "== mote -p 'make the tests pass' (in $(DEMO), mock model)"
	@cd $(DEMO) && $(CURDIR)/$(MOCK) --script $(CURDIR)/tests/demo/script.txt -- \
		$(CURDIR)/$(BIN) -p "The tests fail. Find the bug and fix it." --model mock --permission auto --no-session --verbose \
		> $(DEMO).answer
	@echo "== mote's answer on stdout:" && cat $(DEMO).answer
	@echo "== after the session: sh test.sh"
	@cd $(DEMO) && sh test.sh

# Copy-one-file install: the binary needs no libc and no other files.
install: static
	install -D -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/mote

# The largest contributors to the binary, by crate and by symbol, from an
# unstripped build of the same release profile.
size: deps
	CARGO_PROFILE_RELEASE_STRIP=false cargo build --release --target $(TARGET) --target-dir target/size
	@f=target/size/$(TARGET)/release/mote; \
	echo "== stripped size of the shipped binary: $$(stat -c %s $(BIN) 2>/dev/null || echo '(run make static)') bytes"; \
	echo "== by crate (bytes of symbols)"; \
	nm -S -t d --size-sort -C $$f | awk '{ n=$$4; for (i=5;i<=NF;i++) n=n" "$$i; sub(/^</,"",n); sub(/^_</,"",n); \
		c=n; sub(/::.*/,"",c); sub(/ .*/,"",c); if (c !~ /^[a-z_][a-z0-9_]*$$/) c="(C/other)"; \
		s[c]+=$$2+0 } END { for (c in s) printf "%10d  %s\n", s[c], c }' | sort -rn | head -15; \
	echo "== largest symbols"; \
	nm -S -t d --size-sort -C $$f | tail -25 | awk '{ printf "%10d  ", $$2+0; for (i=4;i<=NF;i++) printf "%s ", $$i; print "" }' | sort -rn

# Regenerate link/startup.ld, the start-up functions the release link puts
# together (link/startup.sh says why); needs valgrind.
layout: deps
	link/startup.sh

# Raspberry Pi builds. arm64 (64-bit Pi OS) uses Debian's cross gcc and is
# tested under qemu-user; armv7 (32-bit Pi OS) needs the rustup target
# armv7-unknown-linux-musleabihf, which `rustup target add` must be able to fetch.
deps-arm64:
	@rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-musl || rustup target add aarch64-unknown-linux-musl
	@{ command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64-static >/dev/null; } || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq gcc-aarch64-linux-gnu qemu-user-static; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq gcc-aarch64-linux-gnu qemu-user-static; fi; }

static-arm64: deps-arm64
	cargo build --release --target aarch64-unknown-linux-musl

# The headless task tests, run on the arm64 binary under qemu-user.
test-arm64: static-arm64
	@$(call fresh,arm64)
	TMPDIR=$(SCRATCH)/arm64 MOTE_BIN=$(CURDIR)/target/aarch64-unknown-linux-musl/release/mote MOTE_RUNNER=qemu-aarch64-static \
		MOTE_TEST_SKIP=chroot cargo test --test headless --test lowspec
	@$(call tidy,arm64)

static-armv7:
	@rustup target list --installed 2>/dev/null | grep -qx armv7-unknown-linux-musleabihf || rustup target add armv7-unknown-linux-musleabihf
	@command -v arm-linux-gnueabihf-gcc >/dev/null || apt-get install -y -qq gcc-arm-linux-gnueabihf
	cargo build --release --target armv7-unknown-linux-musleabihf

# Fuzzing with cargo-fuzz on the nightly toolchain (tests/fuzz/). `make fuzz`
# runs each target FUZZ_SECONDS; CI runs `make fuzz-ci` (30 s each).
fuzz-deps:
	@cargo +nightly --version >/dev/null
	@cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# Each target's output goes to target/fuzz-NAME.log; its last lines are shown
# (all of the end, with the crashing input, when it fails).
fuzz: fuzz-deps
	@mkdir -p target
	@for t in $(FUZZ_TARGETS); do echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
		if cargo +nightly fuzz run --fuzz-dir tests/fuzz $$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 \
			> target/fuzz-$$t.log 2>&1; then grep -E '^Done' target/fuzz-$$t.log; \
		else tail -n 60 target/fuzz-$$t.log; exit 1; fi; done

fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=30

clean:
	cargo clean
