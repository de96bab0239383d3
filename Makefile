# Thin wrapper over CMake and the project scripts. See README.md.
comma := ,
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
SANITIZE ?=
CONFIG ?= etc/genaiproxy.cnf
CMAKE_FLAGS ?=
# llama-server and its tiny models for `make test-llama` (kept apart: one build serves every BUILD_DIR)
LLAMA_DIR ?= build/llama

ifeq ($(SANITIZE),)
  BUILD_TYPE ?= RelWithDebInfo
else
  BUILD_DIR := build-$(subst $(comma),-,$(SANITIZE))
  BUILD_TYPE ?= Debug
endif
ifeq ($(CI),true)
  CMAKE_FLAGS += -DGP_WERROR=ON
endif

.PHONY: all deps build run test unit test-llama bench fuzz format clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DGP_SANITIZE=$(SANITIZE) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/genaiproxy --config $(CONFIG)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

# The GENAI suite against a real llama.cpp llama-server (not part of `test`: the first build of
# llama-server takes minutes; later runs reuse $(LLAMA_DIR)).
test-llama: build
	@bash scripts/build-llama-server.sh $(LLAMA_DIR)
	@/usr/bin/python3 scripts/make-tiny-models.py --out $(LLAMA_DIR)/models --gguf-py $(LLAMA_DIR)/src/gguf-py
	@cd tests/llama && GP_BINARY=$(abspath $(BUILD_DIR))/genaiproxy GP_LLAMA_DIR=$(abspath $(LLAMA_DIR)) \
	  /usr/bin/python3 test_llama.py

bench: build
	bash bench/run.sh $(BUILD_DIR)

fuzz: deps
	bash tests/fuzz/run.sh

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-*
