# ferry: one non-recursive Makefile. `make` builds build/ferry.
# Variables worth overriding: BUILD (output dir), CC, SANFLAGS, FUZZ_SECONDS.

BUILD ?= build
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := jansson yaml-0.1 libssl libcrypto
# Headers only: libcurl and libarchive are loaded at run time when first used
# (src/core/curl_load.c), so commands that never need them start fast.
DLPKGS := libcurl libarchive

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(CFLAGS) $(SANFLAGS) -Isrc \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) $(DLPKGS) 2>/dev/null) -MMD -MP
LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -ldl
LDFLAGS += $(SANFLAGS) -pthread

MAIN_SRC := src/cmd/main.c
SRCS := $(sort $(shell find src -name '*.c'))
LIB_SRCS := $(filter-out $(MAIN_SRC),$(SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libferry.a

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 20

.PHONY: FORCE all run test check asan ubsan fuzz bench format lint clean setup units

all: $(BUILD)/ferry

# Objects are rebuilt when the compiler or flags change (sanitizer builds).
FLAGS_STAMP := $(BUILD)/flags.txt
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(ALL_CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS) $(LDFLAGS)' > $@

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ferry: $(BUILD)/$(MAIN_SRC:.c=.o) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIB) $(LDFLAGS) $(LIBS) -lcmocka

units: $(UNIT_BINS)

setup:
	@scripts/setup

# The demo: three `ferry echo` backends behind `ferry ingress serve` on
# 127.0.0.1:8080 (examples/demo/); Ctrl-C stops it. The kubeconfig
# walkthrough is scripts/demo-config.
run: setup
	@$(MAKE) --no-print-directory all
	@scripts/demo $(BUILD)/ferry

# The whole suite; ends with one line "N passed, N failed, N skipped".
test: setup
	@$(MAKE) --no-print-directory all units
	@FERRY=$(abspath $(BUILD)/ferry) UNIT_DIR=$(abspath $(BUILD)/tests) tests/run

check: test

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan CFLAGS='-O1 -g' \
		SANFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer' test

ubsan:
	@$(MAKE) --no-print-directory BUILD=build/ubsan CFLAGS='-O1 -g' \
		SANFLAGS='-fsanitize=undefined -fno-sanitize-recover=all' test

# libFuzzer targets, built with clang; each runs FUZZ_SECONDS on its seed corpus.
# The library is compiled once with clang's fuzzer instrumentation, then
# each target links against it.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread -g -O1 -Isrc \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) $(DLPKGS) 2>/dev/null)
FUZZ_OBJS := $(LIB_SRCS:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@

build/fuzz/libferry.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libferry.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzz/libferry.a $(LIBS)

fuzz: setup $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); mkdir -p build/fuzz/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus-$$n \
			tests/fuzz/seeds/$${n#fuzz_} 2>build/fuzz/$$n.log || \
			{ tail -40 build/fuzz/$$n.log; exit 1; }; \
	done

bench: all
	@scripts/setup --bench
	@bench/config.sh $(BUILD)/ferry
	@bench/list.sh $(BUILD)/ferry
	@bench/backup.sh $(BUILD)/ferry
	@bench/restore.sh $(BUILD)/ferry
	@bench/proxy.sh $(BUILD)/ferry
	@bench/proxy_tls.sh $(BUILD)/ferry
	@bench/controller.sh $(BUILD)/ferry

format:
	clang-format -i $(shell find src tests -name '*.[ch]')

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr -Isrc --std=c11 src
	clang-tidy --quiet $(SRCS) -- -std=c11 -D_GNU_SOURCE -Isrc \
		$(shell $(PKG_CONFIG) --cflags $(PKGS) $(DLPKGS))

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
