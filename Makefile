# hedui — build, test, demo.  See README.md.
#
#   make            build build/hedui and build/libhedui.a
#   make demo       install missing Debian packages, build, run the sample province
#   make test       install missing Debian packages, build, run every Check suite
#   make test SAN=1 the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      benchmarks (bench/)

CC      ?= cc
PKGS    := openssl libzstd libxxhash inih libutf8proc check
BUILD   ?= build
SHARED  ?= $(abspath ../shared)
TESTDATA ?= $(SHARED)/testdata

OPT     ?= -O2
CFLAGS  ?= -g
CFLAGS  += $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation -Iinclude -Iengine
CFLAGS  += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs openssl libzstd libxxhash inih libutf8proc 2>/dev/null) -lpthread -lm
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
HEADERS  := $(wildcard include/hedui/*.h) $(shell find engine -name '*.h')

.PHONY: all deps demo test test-unit clean install
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

# Every Check suite runs from the repository root with the shared test data.
test: deps
	@$(MAKE) --no-print-directory test-unit

test-unit: $(TEST_BIN) $(BUILD)/hedui
	@fail=0; for t in $(TEST_BIN); do \
	  echo "== $$t"; \
	  HEDUI_TESTDATA=$(TESTDATA) HEDUI_BIN=$(abspath $(BUILD)/hedui) CK_FORK=yes $$t || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "make test: FAILED"; exit 1; fi; echo "make test: all suites passed"

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/hedui
	$(BUILD)/hedui demo $(BUILD)/demo

clean:
	rm -rf build build-san
