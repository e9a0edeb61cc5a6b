# flowtrace-bpf: out-of-process call-flow tracer for CPython.
# `make help` lists the targets. V=1 shows commands, DEBUG=1 builds -O0,
# ASAN=1 adds AddressSanitizer/UBSan to user space.

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

OPT := -O2
ifeq ($(DEBUG),1)
OPT := -O0
endif

CFLAGS_BASE := -std=gnu11 $(OPT) -g -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-Wmissing-prototypes -fno-strict-aliasing -D_GNU_SOURCE \
	-Iinclude -Isrc -I$(BUILD)
ifeq ($(WERROR),1)
CFLAGS_BASE += -Werror
endif
ifeq ($(ASAN),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
CFLAGS ?=
override CFLAGS := $(CFLAGS_BASE) $(CFLAGS)
LDLIBS := -lbpf -lelf -lz -lcapstone

# clang -target bpf does not see the host's multiarch include dirs by itself
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

# src/ is layered (docs/design.md, "Source layout"); one folder per layer
LAYERS    := app probe cpython core output sys
SRCS      := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c))
HDRS      := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.h))
LIB_OBJS  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(filter-out src/app/main.c,$(SRCS)))
MAIN_OBJ  := $(BUILD)/obj/app/main.o
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(BUILD)/obj/unit/%.o,$(UNIT_SRCS))

TOOL     := $(BUILD)/flowtrace-bpf
UNIT     := $(BUILD)/unit-tests
FIXTURE  := $(BUILD)/sdt-fixture
# the same fixture unoptimised: its markers' arguments sit in its stack frame
# (memory operands, not registers), the other form a USDT argument takes
FIXTURE_STACK := $(BUILD)/sdt-fixture-stackargs

.DELETE_ON_ERROR:
# keep the BPF objects between the skeleton steps
.SECONDARY:
.PHONY: all deps demo test test-unit test-integration test-asan test-fuzz test-browser bench check format clean install help

all: $(TOOL) $(FIXTURE) $(FIXTURE_STACK)

help:
	@echo 'flowtrace-bpf targets:'
	@echo '  all               build flowtrace-bpf and the test fixture (default)'
	@echo '  demo              install dependencies, build, trace examples/demo.py (root)'
	@echo '  test              install dependencies, run unit and integration tests (root)'
	@echo '  test-unit         unit tests of the pure logic (no root needed)'
	@echo '  test-integration  attach real BPF to real Python processes (root)'
	@echo '  test-asan         unit tests and integration fault cases with an ASan/UBSan build (root)'
	@echo '  test-fuzz         fuzz the trace-file reader for FUZZ_SECONDS (default 30)'
	@echo '  test-browser      render the html format in headless Chromium'
	@echo '  bench             benchmarks; writes docs/performance.md (root)'
	@echo '  check             layering, format check, -Werror build, unit tests'
	@echo '  install           install to $$(DESTDIR)$$(PREFIX)/bin'
	@echo '  clean             remove $(BUILD)/'
	@echo 'variables: V=1 DEBUG=1 ASAN=1 WERROR=1 PREFIX=... DESTDIR=...'

deps:
	$(Q)scripts/install-deps.sh

$(BUILD) $(BUILD)/obj $(BUILD)/obj/unit:
	$(Q)mkdir -p $@

$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.tmp.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard include/flowtrace/*.h bpf/*.h) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		-Iinclude -I$(BUILD) $(CLANG_BPF_SYS_INCLUDES) -c $< -o $@

$(BUILD)/%.bpf.o: $(BUILD)/%.tmp.bpf.o
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# the html page's style, markup and script (src/output/html/) as a header,
# with the check that the flags page.js reads are C's
HTML_PAGE := $(BUILD)/output/html_page.h
$(HTML_PAGE): scripts/embed-html.sh $(wildcard src/output/html/*) $(wildcard src/core/*.h)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/embed-html.sh src/output/html src/core $@

$(BUILD)/obj/output/render_html.o: $(HTML_PAGE)

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/obj $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/unit/%.o: tests/unit/%.c | $(BUILD)/obj/unit $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(TOOL): $(LIB_OBJS) $(MAIN_OBJ)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(UNIT): $(LIB_OBJS) $(UNIT_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(FIXTURE): tests/fixtures/sdt_fixture.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -rdynamic -pthread $< -o $@

$(FIXTURE_STACK): tests/fixtures/sdt_fixture.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 -O0 -g -Wall -rdynamic -pthread $< -o $@

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

test: deps
	$(Q)scripts/install-deps.sh --test
	$(Q)$(MAKE) --no-print-directory all $(UNIT)
	$(Q)$(MAKE) --no-print-directory test-unit
	$(Q)$(MAKE) --no-print-directory test-integration
	$(Q)$(MAKE) --no-print-directory test-asan
	$(Q)$(MAKE) --no-print-directory test-fuzz
	$(Q)$(MAKE) --no-print-directory test-browser

test-unit: $(UNIT)
	$(Q)$(UNIT)
	$(Q)tests/unit/embed_html.sh

test-integration: $(TOOL) $(FIXTURE) $(FIXTURE_STACK)
	$(Q)tests/integration/run.sh

# ASan/UBSan build in its own directory; the unit tests and the integration
# suite's fault cases run with it, and any sanitizer report fails the run
ASAN_BUILD ?= build-asan
test-asan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) ASAN=1 all $(ASAN_BUILD)/unit-tests
	$(Q)tests/integration/asan.sh $(ASAN_BUILD)

# the trace-file reader under libFuzzer for FUZZ_SECONDS (default 30)
test-fuzz: $(SKELS) $(HTML_PAGE)
	$(Q)tests/fuzz/run.sh

# the html format in headless Chromium
test-browser: $(LIB_OBJS)
	$(Q)tests/browser/run.sh

bench: deps
	$(Q)scripts/install-deps.sh --bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench.sh

format:
	$(Q)clang-format -i $(SRCS) $(HDRS) bpf/*.c bpf/*.h include/flowtrace/*.h tests/unit/*.c tests/unit/*.h

check:
	$(Q)scripts/check-layers.sh
	$(Q)clang-format --dry-run --Werror $(SRCS) $(HDRS) bpf/*.c bpf/*.h include/flowtrace/*.h tests/unit/*.c tests/unit/*.h
	$(Q)$(MAKE) --no-print-directory WERROR=1 all $(UNIT)
	$(Q)$(UNIT)
	$(Q)tests/unit/embed_html.sh

install: $(TOOL)
	install -D -m 0755 $(TOOL) $(DESTDIR)$(PREFIX)/bin/flowtrace-bpf

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

-include $(wildcard $(BUILD)/obj/*/*.d)
