# hedui — build, test, demo.  See README.md.
#
#   make            build build/hedui and build/libhedui.a
#   make demo       install missing Debian packages, build, run the sample province
#   make test       install missing Debian packages, build, run every Check suite
#   make test SAN=1 the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-slurm the scale-out on a real single-node Slurm (as root)
#   make test-golden outputs byte-identical to tests/golden/outputs.sha256 (-j1/-j2/-j8)
#   make bench      benchmarks (bench/)
#   make bench-parts  CPU of 4 parts + merge against one run on make bench's province

CC      ?= cc
PKGS    := openssl libzstd libxxhash inih libutf8proc xlsxwriter sqlite3 check libmicrohttpd jansson gnutls minizip expat
BUILD   ?= build
# The public test vectors the suites read, copied into the repository (each
# set with its SOURCES.md): no test reads outside it.
TESTDATA ?= $(CURDIR)/tests/vectors

OPT     ?= -O2
CFLAGS  ?= -g
CFLAGS  += $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation -Iinclude -Iengine
CFLAGS  += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs openssl libzstd libxxhash inih libutf8proc xlsxwriter sqlite3 libmicrohttpd jansson gnutls minizip expat 2>/dev/null) -lpthread -lm
TESTLIBS := $(shell pkg-config --libs check 2>/dev/null)
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD   := build-san
endif

LIB_SRC  := $(sort $(shell find engine -name '*.c' ! -path 'engine/cli/*'))
CLI_SRC  := $(sort $(wildcard engine/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
GEN_SRC  := $(BUILD)/gen/divisions_data.c

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_SRC:.c=.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# Suites run TEST_JOBS (make test) or MEMCHECK_JOBS (make memcheck) at a time,
# each one's output printed whole when it ends, the failed ones named last
# (tests/run_suites.sh); the longest start first.
SLOW_SUITES := test_text test_register test_e2e test_keys test_changes test_xlsx test_faults \
               test_html test_index test_serve test_part test_lists test_cli
TEST_ORDER  := $(foreach s,$(SLOW_SUITES),$(filter $(BUILD)/tests/$(s),$(TEST_BIN))) \
               $(filter-out $(SLOW_SUITES:%=$(BUILD)/tests/%),$(TEST_BIN))
TEST_JOBS     ?= $(shell nproc 2>/dev/null || echo 1)
MEMCHECK_JOBS ?= $(TEST_JOBS)
HEADERS  := $(wildcard include/hedui/*.h) $(shell find engine -name '*.h')

.PHONY: all deps demo test test-unit clean install lint-size lint-house lint-doc
all: $(BUILD)/hedui

deps:
	@scripts/install-deps

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(GEN_SRC): scripts/gen-divisions.sh $(wildcard data/admin-codes/*.csv)
	@mkdir -p $(dir $@)
	sh scripts/gen-divisions.sh data/admin-codes > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libhedui.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/hedui: $(CLI_OBJ) $(BUILD)/libhedui.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libhedui.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(BUILD)/libhedui.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests -o $@ $< $(BUILD)/libhedui.a $(LDLIBS) $(TESTLIBS)

# Every Check suite runs from the repository root with tests/vectors.
test: deps
	@$(MAKE) --no-print-directory test-unit

test-unit: $(TEST_BIN) $(BUILD)/hedui
	@HEDUI_TESTDATA=$(TESTDATA) HEDUI_BIN=$(abspath $(BUILD)/hedui) HEDUI_BUILD=$(BUILD) CK_FORK=yes \
	  sh tests/run_suites.sh $(TEST_JOBS) $(BUILD)/test-logs "make test" \
	  tests/test_golden.sh $(TEST_ORDER) tests/test_docs.sh tests/lint_size.sh \
	  tests/lint_doc.sh tests/lint_house.sh

# Outputs byte-identical to tests/golden/outputs.sha256 at -j1/-j2/-j8 on two
# generated provinces (tests/golden/golden.sh; --update records them again)
.PHONY: test-golden
test-golden: $(BUILD)/hedui
	HEDUI_BIN=$(abspath $(BUILD)/hedui) sh tests/golden/golden.sh

# Scale-out on a real single-node Slurm (SPEC §12; scripts/slurm/): as root;
# installs slurmctld, slurmd, slurm-client and munge when missing, starts them
# without systemd, runs the driver for N = 1, 2, 4, 7 against `hedui run`, a
# failing part, and stops every daemon it started.
.PHONY: test-slurm
test-slurm: deps
	@$(MAKE) --no-print-directory $(BUILD)/hedui
	BUILD=$(BUILD) bash scripts/slurm/test-slurm.sh

# no function in engine/ over 120 lines (docs/architecture.md)
lint-size:
	@sh tests/lint_size.sh

# who may call whom (docs/architecture.md): no call into a higher folder
lint-house: $(BUILD)/libhedui.a $(BUILD)/hedui
	@sh tests/lint_house.sh $(BUILD)

# every non-void function in include/hedui/*.h says what it returns (@return)
lint-doc:
	@sh tests/lint_doc.sh

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/hedui
	$(BUILD)/hedui demo $(BUILD)/demo

clean:
	rm -rf build build-san

# ---------------------------------------------------------------- fuzzing
#   make fuzz [FUZZ_SECONDS=N]  build the libFuzzer targets of tests/fuzz with
#                               clang + ASan/UBSan into build-fuzz/ and run each
#                               for N seconds (default 30); fails on any crash
#   make fuzz-long [FUZZ_RUNS=N] [FUZZ_MAX_SECONDS=S]
#                               every target for N executions each (default
#                               10,000,000: -runs=N), or S seconds each when
#                               given, whichever ends first; fails on any
#                               crash; the executions reached are printed
#                               (docs/reliability.md). Run it with nice -n 19.
#   make memcheck               every Check suite under valgrind (leaks = errors)
# The engine is compiled again with clang and the same sanitizers (coverage
# instrumented), never linked from build/libhedui.a. docs/reliability.md.
FUZZ_SECONDS ?= 30
FUZZ_BUILD   := build-fuzz
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Iinclude -Iengine \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(FUZZ_SAN)
FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/gen/divisions_data.o
FUZZ_ARGS    ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

FUZZ_RUNS    ?= 10000000
FUZZ_MAX_SECONDS ?=
.PHONY: fuzz fuzz-deps fuzz-build fuzz-run fuzz-long fuzz-long-run memcheck memcheck-run
fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory fuzz-run

# clang and the libFuzzer runtime: installed here when missing (as root).
fuzz-deps:
	@probe='int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }'; \
	if ! echo "$$probe" | $(FUZZ_CC) -fsanitize=fuzzer,address,undefined -x c - -o /dev/null >/dev/null 2>&1; then \
	  if [ "$$(id -u)" -ne 0 ]; then \
	    echo "make fuzz needs clang and libclang-rt-14-dev: run as root: apt-get install -y clang libclang-rt-14-dev" >&2; exit 1; \
	  fi; \
	  echo "fuzz-deps: installing clang libclang-rt-14-dev" >&2; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y clang libclang-rt-14-dev || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y clang libclang-rt-14-dev; }; \
	fi

$(FUZZ_BUILD)/engine/%.o: engine/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/gen/divisions_data.c: scripts/gen-divisions.sh $(wildcard data/admin-codes/*.csv)
	@mkdir -p $(dir $@)
	sh scripts/gen-divisions.sh data/admin-codes > $@.tmp && mv $@.tmp $@

$(FUZZ_BUILD)/gen/divisions_data.o: $(FUZZ_BUILD)/gen/divisions_data.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libhedui-fuzz.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_BUILD)/libhedui-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DHD_REPO_ROOT='"$(CURDIR)"' -Itests/fuzz \
	  -o $@ $< $(FUZZ_BUILD)/libhedui-fuzz.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

# Each target: its working corpus build-fuzz/corpus/T (grows, kept between
# runs), the seeds of tests/fuzz/corpus/T and, where they fit, the
# vectors of tests/vectors; crashes go to build-fuzz/artifacts/T/, the log to build-fuzz/T.log.
fuzz-run: $(FUZZ_BIN)
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	  extra=""; len=""; \
	  case $$t in \
	    fuzz_csv) [ -d $(TESTDATA)/csv ] && extra="$(TESTDATA)/csv"; \
	              [ -d $(TESTDATA)/gb18030/samples ] && extra="$$extra $(TESTDATA)/gb18030/samples";; \
	    fuzz_zstd) [ -d $(TESTDATA)/zstd ] && extra="$(TESTDATA)/zstd"; len="-max_len=65536";; \
	  esac; \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  if $(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS) $$len \
	       -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
	       $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t $$extra >$(FUZZ_BUILD)/$$t.log 2>&1; then \
	    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' $(FUZZ_BUILD)/$$t.log | tr '\n' ' '; echo; \
	  else \
	    fail=1; echo "$$t: FAILED (crash, leak or timeout): see $(FUZZ_BUILD)/$$t.log"; \
	    grep -E 'ERROR|SUMMARY|invariant|Test unit written' $(FUZZ_BUILD)/$$t.log | head -8; \
	  fi; \
	done; \
	if [ $$fail -ne 0 ]; then echo "make fuzz: FAILED"; exit 1; fi; echo "make fuzz: no crash in $(FUZZ_SECONDS) s per target"

# The same targets, seeds and corpora for a set number of executions each
# (FUZZ_RUNS); the log of each is build-fuzz/T.long.log.
fuzz-long: deps fuzz-deps
	@$(MAKE) --no-print-directory fuzz-long-run

fuzz-long-run: $(FUZZ_BIN)
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t; \
	  extra=""; len=""; \
	  case $$t in \
	    fuzz_csv) [ -d $(TESTDATA)/csv ] && extra="$(TESTDATA)/csv"; \
	              [ -d $(TESTDATA)/gb18030/samples ] && extra="$$extra $(TESTDATA)/gb18030/samples";; \
	    fuzz_zstd) [ -d $(TESTDATA)/zstd ] && extra="$(TESTDATA)/zstd"; len="-max_len=65536";; \
	  esac; \
	  echo "== $$t ($(FUZZ_RUNS) runs)"; \
	  if $(FUZZ_BUILD)/$$t -runs=$(FUZZ_RUNS) $(if $(FUZZ_MAX_SECONDS),-max_total_time=$(FUZZ_MAX_SECONDS)) $(FUZZ_ARGS) $$len \
	       -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ \
	       $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t $$extra >$(FUZZ_BUILD)/$$t.long.log 2>&1; then \
	    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' $(FUZZ_BUILD)/$$t.long.log | tr '\n' ' '; echo; \
	  else \
	    fail=1; echo "$$t: FAILED (crash, leak or timeout): see $(FUZZ_BUILD)/$$t.long.log"; \
	    grep -E 'ERROR|SUMMARY|invariant|Test unit written' $(FUZZ_BUILD)/$$t.long.log | head -8; \
	  fi; \
	done; \
	if [ $$fail -ne 0 ]; then echo "make fuzz-long: FAILED"; exit 1; fi; \
	echo "make fuzz-long: no crash (up to $(FUZZ_RUNS) runs$(if $(FUZZ_MAX_SECONDS), or $(FUZZ_MAX_SECONDS) s,) per target)"

# ---------------------------------------------------------------- valgrind
memcheck: deps
	@command -v valgrind >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -ne 0 ]; then echo "make memcheck needs valgrind: run as root: apt-get install -y valgrind" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind; }
	@$(MAKE) --no-print-directory memcheck-run

memcheck-run: $(TEST_BIN) $(BUILD)/hedui
	@HEDUI_TESTDATA=$(TESTDATA) HEDUI_BIN=$(abspath $(BUILD)/hedui) HEDUI_MEMCHECK=1 CK_FORK=no \
	  SUITE_RUNNER="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1" \
	  sh tests/run_suites.sh $(MEMCHECK_JOBS) $(BUILD)/memcheck-logs "make memcheck" $(TEST_ORDER)

# ---------------------------------------------------------------- install
#   make install [PREFIX=/usr/local] [DESTDIR=]   (docs/operator-guide.md)
# $(PREFIX)/bin/hedui, lib/libhedui.a, lib/pkgconfig/hedui.pc, include/hedui/*.h,
# share/man/man1/hedui.1, share/doc/hedui/*.md, and share/hedui/{scripts,formats,
# policy,data} (gen-province.py finds data/ at ../data; `hedui demo` finds the
# generator at <exe>/../share/hedui/scripts).
PREFIX  ?= /usr/local
DESTDIR ?=
HD_DEST     = $(DESTDIR)$(PREFIX)
HD_VERSION := $(shell sed -n 's/^\#define HD_ENGINE_VERSION "\(.*\)"/\1/p' include/hedui/batch.h)
HD_PC_LIBS := $(shell pkg-config --libs openssl libzstd libxxhash inih libutf8proc xlsxwriter sqlite3 libmicrohttpd jansson gnutls minizip expat 2>/dev/null) -lpthread -lm
ifeq ($(SAN),1)
# a sanitizer build's libhedui.a needs the sanitizer runtimes where it is linked
HD_PC_LIBS += -fsanitize=address,undefined
endif

$(BUILD)/hedui.pc: hedui.pc.in include/hedui/batch.h
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(HD_VERSION)|g' \
	    -e 's|@PRIVATE_LIBS@|$(HD_PC_LIBS)|g' hedui.pc.in > $@.tmp && mv $@.tmp $@

install: $(BUILD)/hedui
	@rm -f $(BUILD)/hedui.pc
	@$(MAKE) --no-print-directory $(BUILD)/hedui.pc PREFIX='$(PREFIX)'
	install -d $(HD_DEST)/bin $(HD_DEST)/lib/pkgconfig $(HD_DEST)/include/hedui \
	  $(HD_DEST)/share/man/man1 $(HD_DEST)/share/doc/hedui $(HD_DEST)/share/hedui/scripts
	install -m 0755 $(BUILD)/hedui $(HD_DEST)/bin/hedui
	install -m 0644 $(BUILD)/libhedui.a $(HD_DEST)/lib/libhedui.a
	install -m 0644 $(BUILD)/hedui.pc $(HD_DEST)/lib/pkgconfig/hedui.pc
	install -m 0644 include/hedui/*.h $(HD_DEST)/include/hedui/
	install -m 0644 docs/hedui.1 $(HD_DEST)/share/man/man1/hedui.1
	install -m 0644 docs/*.md $(HD_DEST)/share/doc/hedui/
	install -m 0755 scripts/gen-province.py $(HD_DEST)/share/hedui/scripts/gen-province.py
	install -d $(HD_DEST)/share/hedui/scripts/slurm
	install -m 0755 scripts/slurm/hedui-slurm scripts/slurm/local-slurm $(HD_DEST)/share/hedui/scripts/slurm/
	install -m 0644 scripts/slurm/slurm.conf.in $(HD_DEST)/share/hedui/scripts/slurm/
	find formats policy data -type f -exec sh -c 'install -D -m 0644 "$$1" "$$2/$$1"' sh {} '$(HD_DEST)/share/hedui' \;

# Benchmark: hedui against `zstd -dc` of the same extracts (bench/bench.py,
# docs/performance.md). Defaults: the issue's province scale (500,000
# households; extracts at 1x, 2x, 4x, the largest about 62 million rows and
# 4.5 GB). `make bench-data` only generates the datasets (once, cached).
# The issue-17 size: make bench BENCH_HOUSEHOLDS=35000 BENCH_FACTOR=20 BENCH_SCALES=1
# (16.7 million rows, 0.40 / 1.20 GB). BENCH_PEER=0 leaves the DuckDB peer out.
# The populations case (SPEC §10, issue 14; BENCH_POPULATIONS=0 leaves it out):
# on the smallest set, the applicants alone against the applicants plus a roster
# and a monitored population as large, at -j1: extract rows read, user CPU and
# peak RSS per member. A quick one: make bench BENCH_HOUSEHOLDS=20000
# BENCH_SCALES=1 BENCH_PEER=0 BENCH_SINGLE=0 BENCH_INSTANT=0 (about 4 minutes).
BENCH_HOUSEHOLDS ?= 500000
BENCH_FACTOR ?= 6
BENCH_FILES ?= 4
BENCH_ROUNDS ?= 3
BENCH_SCALES ?= 4,2,1
BENCH_DATA ?= bench/data
BENCH_PEER ?= 1
BENCH_ENV = BENCH_HOUSEHOLDS=$(BENCH_HOUSEHOLDS) BENCH_FACTOR=$(BENCH_FACTOR) BENCH_FILES=$(BENCH_FILES) \
	BENCH_ROUNDS=$(BENCH_ROUNDS) BENCH_SCALES=$(BENCH_SCALES) BENCH_DATA=$(BENCH_DATA) BENCH_PEER=$(BENCH_PEER)
.PHONY: bench bench-data bench-peer
bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/hedui $(BUILD)/bench/ixbench
	@if [ "$(BENCH_PEER)" != 0 ]; then $(MAKE) --no-print-directory bench-peer; fi
	$(BENCH_ENV) python3 bench/bench.py

# The DuckDB peer of make bench (bench/peer/): Node.js and npm from Debian
# (scripts/install-deps bench), @duckdb/node-api at the version of
# bench/peer/package-lock.json from the npm registry
bench-peer:
	@sh scripts/install-deps bench
	@[ -d bench/peer/node_modules/@duckdb/node-api ] || (cd bench/peer && npm ci --no-audit --no-fund)

# the instant check's benchmark client (bench/instant.py): in-process lookup
# latency and a keep-alive load on 127.0.0.1
$(BUILD)/bench/ixbench: bench/ixbench.c $(BUILD)/libhedui.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libhedui.a $(LDLIBS)
# the register write alone (docs/performance.md "The register write"):
# build/bench/regwrite RUN_DIR DB ROUNDS
$(BUILD)/bench/regwrite: bench/regwrite.c $(BUILD)/libhedui.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libhedui.a $(LDLIBS)
bench-data: deps
	@$(MAKE) --no-print-directory $(BUILD)/hedui
	$(BENCH_ENV) python3 bench/bench.py --generate

# Scale-out cost (issue 16, docs/performance.md "Scale-out"): on the largest
# dataset of make bench (BENCH_HOUSEHOLDS households, BENCH_FACTOR), CPU
# (user + sys, /usr/bin/time) and wall of `hedui run --force` against
# BENCH_PARTS parts `run --part K/N` plus `merge --force`, BENCH_ROUNDS rounds
# alternated, -jBENCH_PARTS_J; the merged directory must equal the run's.
# Prints each round and the medians with (parts + merge) / run CPU.
BENCH_PARTS ?= 4
BENCH_PARTS_J ?= 1
.PHONY: bench-parts
bench-parts: deps
	@$(MAKE) --no-print-directory $(BUILD)/hedui
	@prov=$$($(BENCH_ENV) python3 bench/bench.py --province) && \
	  echo "bench-parts: $$prov, N=$(BENCH_PARTS), $(BENCH_ROUNDS) rounds, -j$(BENCH_PARTS_J)" && \
	  HEDUI=$(BUILD)/hedui bash bench/parts.sh "$$prov" $(BENCH_PARTS) $(BENCH_ROUNDS) $(BENCH_PARTS_J)
