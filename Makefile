# mote's build, test, bench and demo. `make demo` and `make test` are the two
# commands a new user needs; both install what is missing (the rustup musl
# target, Debian's musl-tools) on first use.

TARGET  := x86_64-unknown-linux-musl
BIN     := target/$(TARGET)/release/mote
MOCK    := target/release/examples/mock-llm
DEMO    := $(or $(TMPDIR),/tmp)/mote-demo

.PHONY: static test bench demo deps clean

deps:
	@rustup target list --installed 2>/dev/null | grep -qx $(TARGET) || rustup target add $(TARGET)
	@command -v musl-gcc >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq musl-tools; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq musl-tools; fi; }

static: deps
	cargo build --release --target $(TARGET)

$(MOCK): tests/mock/*.rs
	cargo build --release --example mock-llm

# Unit tests, then the integration tests against the static binary.
test: static
	MOTE_BIN=$(CURDIR)/$(BIN) cargo test

bench: static
	MOTE_BIN=$(CURDIR)/$(BIN) cargo bench --bench budget

# A whole session against the bundled mock model, on a scratch copy of the
# sample project: the model reads, fixes the bug, runs the test, answers.
demo: static $(MOCK)
	@rm -rf $(DEMO) && cp -r tests/demo/project $(DEMO)
	@echo "== mote -p 'make the tests pass' (in $(DEMO), mock model)"
	@cd $(DEMO) && $(CURDIR)/$(MOCK) --script $(CURDIR)/tests/demo/script.txt -- \
		$(CURDIR)/$(BIN) -p "The tests fail. Find the bug and fix it." --model mock --permission auto --verbose \
		> $(DEMO).answer
	@echo "== mote's answer on stdout:" && cat $(DEMO).answer
	@echo "== after the session: sh test.sh"
	@cd $(DEMO) && sh test.sh

clean:
	cargo clean
