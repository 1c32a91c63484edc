# roomchat: two commands on a fresh Debian machine.
#   make run    installs what is missing, builds server and web client, serves on 127.0.0.1:8080
#   make test   installs what is missing, builds, runs every test (unit, integration,
#               a short fuzz run, the unit and integration tests under ASan+UBSan, web)
#   make soak   the long fault, flood and fuzz runs (~30 min; docs/reliability.md)
#   make asan / make tsan / make fuzz   one of the checks of make test on its own
BUILD    ?= build
LISTEN   ?= 127.0.0.1:8080
DATA     ?= data
JOBS     ?= $(shell nproc)
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
HAVE_WEB := $(wildcard web/package.json)

# ccache hits across clones in other folders (CI builds a fresh clone).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
# Without this ccache refuses every compile that uses a precompiled header
# (most of net/, room/, api/): CMake's PCH needs pch_defines and time_macros.
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

.PHONY: all deps test-deps build web run test test-server test-web oidc-provider-deps asan tsan fuzz soak bench clean

all: build

# What building and serving needs; the browser for the end-to-end tests only
# comes with test-deps.
deps:
	@ROOMCHAT_WEB_DEPS=0 scripts/install-deps.sh

# Tests also need the browser (web end-to-end), clang (libFuzzer) and Ceph's
# radosgw (the S3 tests start their own throw-away cluster).
test-deps:
	@ROOMCHAT_SANITIZER_DEPS=1 ROOMCHAT_S3_DEPS=1 scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

web: deps
ifneq ($(HAVE_WEB),)
	cd web && (npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error)
	cd web && npm run build
endif

run: build web
	$(BUILD)/roomchat serve --listen $(LISTEN) --data $(DATA) $(if $(HAVE_WEB),--web web/dist)

test: test-deps build web
	$(MAKE) test-server
	$(MAKE) fuzz
	$(MAKE) asan
ifneq ($(HAVE_WEB),)
	$(MAKE) test-web
endif

# The OpenID Connect provider the sign-in tests start (Node, oidc-provider).
oidc-provider-deps:
	cd tests/services/oidc && (test -d node_modules || npm ci --no-audit --no-fund --loglevel=error)

test-server: oidc-provider-deps
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

test-web: oidc-provider-deps
	cd web && npm run lint
	cd web && npm test
	cd web && ROOMCHAT_BIN=$(abspath $(BUILD))/roomchat npm run e2e

# Unit and integration tests with the server itself sanitized (own build folders).
asan: test-deps oidc-provider-deps
	JOBS=$(JOBS) scripts/sanitize.sh asan
tsan: test-deps
	JOBS=$(JOBS) scripts/sanitize.sh tsan

# libFuzzer on every parser facing the network, FUZZ_SECONDS per target,
# from the corpus in fuzz/corpus (new finds stay in build-fuzz/).
FUZZ_SECONDS ?= 20
fuzz: test-deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

# Bounded: the soak tests take ~7 min, the fuzzers SOAK_FUZZ_SECONDS x 4.
SOAK_FUZZ_SECONDS ?= 300
soak: test-deps build
	BUILD=$(BUILD) JOBS=$(JOBS) scripts/soak.sh
	scripts/fuzz.sh $(SOAK_FUZZ_SECONDS)

bench: build
	$(MAKE) -C bench

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
