# roomchat: two commands on a fresh Debian machine.
#   make run    installs what is missing, builds server and web client, serves on 127.0.0.1:8080
#   make test   installs what is missing, builds, runs every test (unit, integration, web)
BUILD    ?= build
LISTEN   ?= 127.0.0.1:8080
DATA     ?= data
JOBS     ?= $(shell nproc)
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
HAVE_WEB := $(wildcard web/package.json)

# ccache hits across clones in other folders (CI builds a fresh clone).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps test-deps build web run test test-server test-web bench clean

all: build

# What building and serving needs; the browser for the end-to-end tests only
# comes with test-deps.
deps:
	@ROOMCHAT_WEB_DEPS=0 scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh

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
ifneq ($(HAVE_WEB),)
	$(MAKE) test-web
endif

test-server:
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

test-web:
	cd web && npm test
	cd web && ROOMCHAT_BIN=$(abspath $(BUILD))/roomchat npm run e2e

bench: build
	$(MAKE) -C bench

clean:
	rm -rf $(BUILD)
