# rpps-search: one Makefile builds everything with pkg-config.
#   make            build/rpps-import, build/rpps-server, build/rpps-gen
#   make LTO=1      the same with link-time optimisation, into build-lto/
#   make test       unit + end-to-end tests ("N passed, N failed")
#   make asan       the same suite under AddressSanitizer + UBSan (leaks fail)
#   make tsan       the threaded tests under ThreadSanitizer (a race fails)
#   make run        import the synthetic demo extract and serve it
#   make deps       apt-get install the build and test dependencies (Debian)
# CFLAGS holds only the user's flags; the project's own live in PROJ_CFLAGS so
# that `make CFLAGS=-O0` cannot drop warnings.

CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
PKGS     = libmicrohttpd sqlite3 libcurl jansson zlib minizip
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wpointer-arith -Wwrite-strings \
       -Wformat-security -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif

BUILD ?= build
ifneq ($(SAN),)
BUILD := build-san
SANFLAGS = -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
# ThreadSanitizer cannot share objects with ASan: a directory of its own.
ifeq ($(SAN),thread)
BUILD := build-tsan
endif
# `make LTO=1`: link-time optimisation, for the binaries one deploys
# (build-lto/). It lets the compiler inline across the modules (the search's
# loops call dataset.c, stream.c and util.c for every candidate): 4.5 % fewer
# instructions over the bench's queries (docs/performance.md, issue 12).
# Off by default: each test binary's link would optimise the whole program
# again, minutes more for `make test` on two cores.
ifeq ($(LTO),1)
ifeq ($(SAN),)
BUILD := build-lto
endif
LTOFLAGS = -flto=auto
LTOLDFLAGS = -flto=auto $(CFLAGS)
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
PROJ_CFLAGS = $(WARN) -D_GNU_SOURCE -DRPPS_VERSION='"$(VERSION)"' -pthread \
              -Icommon -I$(BUILD) $(PKG_CFLAGS) $(SANFLAGS) $(LTOFLAGS) -MMD -MP
PROJ_LDFLAGS = -pthread $(SANFLAGS) $(LTOLDFLAGS)
LIBS = $(PKG_LIBS) -lm

PREFIX  ?= /usr/local
DESTDIR ?=

COMMON_SRC   := $(wildcard common/*.c)
IMPORTER_SRC := $(wildcard importer/*.c)
SERVER_SRC   := $(wildcard server/*.c)
COMMON_OBJ   := $(COMMON_SRC:%.c=$(BUILD)/%.o) $(BUILD)/schema_sql.o
IMPORTER_OBJ := $(IMPORTER_SRC:%.c=$(BUILD)/%.o)
SERVER_OBJ   := $(SERVER_SRC:%.c=$(BUILD)/%.o) $(BUILD)/web_assets.o
# Library objects: every module but the one holding main(), so tests link them.
IMPORTER_LIB := $(filter-out $(BUILD)/importer/main.o,$(IMPORTER_OBJ))
SERVER_LIB   := $(filter-out $(BUILD)/server/main.o,$(SERVER_OBJ))

# Each tools/*.c is a program of its own; rpps-gen is the modules of
# tools/gen/.
TOOLS_SRC  := $(wildcard tools/*.c)
GEN_SRC    := $(wildcard tools/gen/*.c)
GEN_OBJ    := $(GEN_SRC:%.c=$(BUILD)/%.o)
TOOLS_BIN  := $(TOOLS_SRC:tools/%.c=$(BUILD)/%) $(BUILD)/rpps-gen
TEST_SRC   := $(wildcard tests/test_*.c)
TEST_BIN   := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

BINS = $(BUILD)/rpps-import
ifneq ($(SERVER_SRC),)
BINS += $(BUILD)/rpps-server
endif

.PHONY: all test check asan tsan run deps clean bench-import bench-query install
all: $(BINS) $(TOOLS_BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(PROJ_CFLAGS) $(CFLAGS) -c -o $@ $<

# The schema is compiled into the binaries, so an importer cannot build a
# database with another version's schema.
$(BUILD)/schema_sql.c: schema/schema.sql tools/embed.sh
	@mkdir -p $(dir $@)
	sh tools/embed.sh schema_sql < $< > $@
$(BUILD)/schema_sql.o: $(BUILD)/schema_sql.c
	$(CC) $(PROJ_CFLAGS) $(CFLAGS) -c -o $@ $<

# The web page's files (server/web/) are compiled into the server too, so
# the page always matches the API it calls (server/web.h).
WEB_SRC := $(sort $(wildcard server/web/*))
$(BUILD)/web_assets.c: $(WEB_SRC) tools/embed-web.sh tools/embed.sh
	@mkdir -p $(dir $@)
	sh tools/embed-web.sh $(WEB_SRC) > $@
$(BUILD)/web_assets.o: $(BUILD)/web_assets.c
	$(CC) $(PROJ_CFLAGS) -Iserver $(CFLAGS) -c -o $@ $<

# The importer stores the server's in-memory indexes in the file it builds
# (server/dataset_blob.c): it builds them with the server's own code.
$(IMPORTER_OBJ): PROJ_CFLAGS += -Iserver
$(BUILD)/rpps-import: $(IMPORTER_OBJ) $(SERVER_LIB) $(COMMON_OBJ)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/rpps-server: $(SERVER_OBJ) $(COMMON_OBJ)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/%: $(BUILD)/tools/%.o $(COMMON_OBJ)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/rpps-gen: $(GEN_OBJ) $(COMMON_OBJ)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
# Calls the server's handlers in process (tools/bench-handlers.c).
$(BUILD)/tools/bench-handlers.o: PROJ_CFLAGS += -Iserver
$(BUILD)/bench-handlers: $(BUILD)/tools/bench-handlers.o $(SERVER_LIB) $(COMMON_OBJ)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/tests/%.o: PROJ_CFLAGS += -Iimporter -Iserver
$(BUILD)/tests/%: $(BUILD)/tests/%.o $(IMPORTER_LIB) $(SERVER_LIB) $(COMMON_OBJ)
	$(CC) $(PROJ_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# An LD_PRELOAD shim for tests/e2e_stress.sh (see tests/lockdelay.c): built
# without the sanitizers, it only forwards calls.
$(BUILD)/tests/lockdelay.so: tests/lockdelay.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -O2 -g -shared -fPIC -o $@ $< -ldl

test check: all $(TEST_BIN) $(BUILD)/tests/lockdelay.so
	@BUILD=$(BUILD) sh tests/run.sh $(TEST_BIN)

# The suite under ASan + UBSan, but for three end-to-end scripts that test
# timing and growth rather than memory safety, each run by `make test`:
# e2e_stress (lock waits and slow disks between importer and server),
# e2e_soak (RSS over many swaps; also under TSan) and e2e_web (the page's
# requests, which e2e_openapi and test_server_e2e make too). Every unit
# test and the other scripts run; `make asan ASAN_E2E='tests/e2e_*.sh'`
# runs all (about 100 s more here), to keep CI's whole run near 20 min.
ASAN_E2E = $(filter-out tests/e2e_stress.sh tests/e2e_soak.sh tests/e2e_web.sh,\
	$(wildcard tests/e2e_*.sh))
asan:
	E2E="$(ASAN_E2E)" $(MAKE) SAN=address,undefined test

# ThreadSanitizer over the tests whose processes run threads: the server's
# (its worker threads under concurrent requests, hot swaps and the
# connections a load hands to them), the importer's
# (parse, read-ahead, full-text and quick_check threads) and the dataset's
# loader. The unit tests left out run one thread, where TSan finds nothing,
# and the whole suite under TSan takes 8 min here against 4 for these.
# Each process writes its reports to a file of TSAN_LOG (log_path): the
# end-to-end scripts keep their programs' stderr to themselves, and
# tests/run.sh fails a test that leaves a report there (each test has its
# own directory there: two run at once). Suppressions, each
# with its reason: tests/tsan.supp.
TSAN_TESTS = $(addprefix $(BUILD)/tests/,test_dataset test_server_e2e test_hostile)
TSAN_E2E = tests/e2e_import.sh tests/e2e_faults.sh tests/e2e_sources.sh \
	tests/e2e_ready.sh tests/e2e_soak.sh
TSAN_LOG = $(BUILD)/tsan-log
.PHONY: tsan tsan-run
tsan:
	$(MAKE) SAN=thread tsan-run
tsan-run: all $(TSAN_TESTS)
	rm -rf $(TSAN_LOG) && mkdir -p $(TSAN_LOG)
	@TSAN_OPTIONS="log_path=$(CURDIR)/$(TSAN_LOG)/report \
	suppressions=$(CURDIR)/tests/tsan.supp second_deadlock_stack=1" \
	SAN_LOG_DIR=$(TSAN_LOG) E2E="$(TSAN_E2E)" BUILD=$(BUILD) \
	sh tests/run.sh $(TSAN_TESTS)

deps:
	sh tools/deps.sh

DEMO_DIR = $(BUILD)/demo
# Recursive, so that `make deps run` reads the pkg-config flags only after
# deps has installed the libraries.
run:
	@echo "rpps-search: the page will be at http://127.0.0.1:$${PORT:-8080}/"
	$(MAKE) all
	sh tools/run-demo.sh $(BUILD)

bench-import: all
	sh tools/bench-import

bench-query: all
	sh tools/bench-query

# make install [PREFIX=/usr/local] [DESTDIR=] [SYSTEMD_UNITDIR=DIR]
# The two programs, their bundled data (found by the importer at
# <bindir>/../share/rpps-search) and man pages; the systemd units only when
# SYSTEMD_UNITDIR names where (e.g. $(PREFIX)/lib/systemd/system), with
# their /usr/local/bin paths rewritten for PREFIX.
BINDIR  = $(PREFIX)/bin
DATADIR = $(PREFIX)/share/rpps-search
MAN1DIR = $(PREFIX)/share/man/man1
SYSTEMD_UNITDIR ?=
INST_DATA  = data/igc-sante-elementaire.pem data/communes.tsv \
             data/postcodes.tsv data/LICENSE-data.md
INST_MAN   = docs/rpps-import.1 docs/rpps-server.1
INST_UNITS = docs/systemd/rpps-server.service \
             docs/systemd/rpps-import.service docs/systemd/rpps-import.timer
.PHONY: uninstall
install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MAN1DIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(INST_DATA) $(DESTDIR)$(DATADIR)/
	install -m 644 $(INST_MAN) $(DESTDIR)$(MAN1DIR)/
ifneq ($(SYSTEMD_UNITDIR),)
	install -d $(DESTDIR)$(SYSTEMD_UNITDIR)
	for u in $(INST_UNITS); do \
	    sed 's|/usr/local/bin/|$(BINDIR)/|g' $$u \
	        > $(DESTDIR)$(SYSTEMD_UNITDIR)/$${u##*/} && \
	    chmod 644 $(DESTDIR)$(SYSTEMD_UNITDIR)/$${u##*/} || exit 1; \
	done
endif

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rpps-import $(DESTDIR)$(BINDIR)/rpps-server
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/,$(notdir $(INST_DATA)))
	rmdir $(DESTDIR)$(DATADIR) 2>/dev/null || true
	rm -f $(addprefix $(DESTDIR)$(MAN1DIR)/,$(notdir $(INST_MAN)))
ifneq ($(SYSTEMD_UNITDIR),)
	rm -f $(addprefix $(DESTDIR)$(SYSTEMD_UNITDIR)/,$(notdir $(INST_UNITS)))
endif

clean:
	rm -rf build build-san build-tsan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Fuzzing (clang + libFuzzer: apt-get install clang libclang-rt-14-dev).
# fuzz/run.sh builds the four targets in build/fuzz and runs each for
# FUZZ_SECONDS; `make fuzz` runs them 5 minutes each, `make fuzz-ci` 20 s.
.PHONY: fuzz fuzz-ci
fuzz: all
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} BUILD=$(BUILD) sh fuzz/run.sh
fuzz-ci: all
	FUZZ_SECONDS=$${FUZZ_SECONDS:-20} BUILD=$(BUILD) sh fuzz/run.sh

# Relevance (not a test): recall@1, recall@10 and MRR of /v1/search on the
# cases rpps-gen plants, seed 1, 200,000 professionals (data/relevance/
# holds that set). tests/e2e_relevance.sh is the smaller, gating version.
.PHONY: relevance
relevance: all
	BUILD=$(BUILD) sh tools/relevance --seed 1 --professionals 200000 \
	    --expect data/relevance/truth-seed1.tsv
