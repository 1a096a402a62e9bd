# The README's commands. Each target installs what it needs (scripts/install-deps.sh) and
# configures its own build directory, so they work from a fresh clone on a fresh Debian 12.
SHELL      := /bin/bash
.SHELLFLAGS := -eo pipefail -c
BUILD      ?= build
JOBS       ?= $(shell nproc)
DEMO_ARGS  ?= --duration-s 15 --interval-ms 3000
CMAKE_ARGS ?=

.PHONY: all deps deps-demo demo test test-release test-asan test-tsan test-fuzz test-python fuzz-long soak memcheck interop format-check bench install clean

all: $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS)

# Everything the tests need (test tools, node and the interop test's npm packages).
deps:
	./scripts/install-deps.sh test

# Only what building census and running the demo need: no node, no npm.
deps-demo:
	./scripts/install-deps.sh demo

$(BUILD)/Makefile: | deps-demo
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

demo: deps-demo all
	./$(BUILD)/examples/demo $(DEMO_ARGS)

# The whole suite: the release build's tests (unit, integration, examples), the unit and
# integration tests under ASan+UBSan, the threaded tests under TSan, the Python binding's tests,
# and the format check.
test: deps test-release test-asan test-tsan test-fuzz test-python format-check
	@./scripts/test-summary.sh build-release build-asan build-tsan build-fuzz build-python

test-release: deps
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	cmake --build build-release -j$(JOBS)
	cd build-release && ctest --output-on-failure -j$(JOBS) | tee ctest.log

test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCENSUS_SANITIZE=address -DCENSUS_BUILD_BENCH=OFF $(CMAKE_ARGS)
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS) -L "unit|integration" | tee ctest.log

# setarch -R: TSan's shadow layout needs ASLR off on kernels with high mmap entropy.
test-tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCENSUS_SANITIZE=thread -DCENSUS_BUILD_BENCH=OFF -DCENSUS_BUILD_EXAMPLES=OFF $(CMAKE_ARGS)
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  setarch $$(uname -m) -R ctest --output-on-failure -j$(JOBS) -L threaded | tee ctest.log

# libFuzzer targets (clang), each run for CENSUS_FUZZ_SECONDS (default 15) from its seed corpus.
test-fuzz: deps
	./scripts/fuzz.sh

# The Python binding (bindings/python): built offline with Debian's tooling into a venv of
# Debian's /usr/bin/python3, then its pytest suite (scripts/test-python.sh).
test-python: deps
	./scripts/test-python.sh build-python

# Sustained fuzzing, not part of make test: every fuzz target for FUZZ_SECONDS (default 600) in
# turn; FUZZ_ARGS may add --update-corpus and target names (scripts/fuzz-long.sh --help).
FUZZ_SECONDS ?= 600
fuzz-long: deps
	./scripts/fuzz-long.sh --seconds $(FUZZ_SECONDS) $(FUZZ_ARGS)

# The soak test for SOAK_S seconds (default 600; make test runs it for 60 s): recording threads,
# spans, OTLP to a receiver failing at random, scrapes, flushes; RSS, fds, threads, exact totals.
SOAK_S ?= 600
soak: deps
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	cmake --build build-release -j$(JOBS) --target reliability_soak_app
	SOAK_S=$(SOAK_S) /usr/bin/python3 tests/reliability/soak_test.py build-release/tests/reliability_soak_app

# The unit suite under valgrind memcheck (scripts/memcheck.sh), not part of make test: every unit
# test program, memcheck errors and definite/indirect leaks fail; third-party suppressions only
# (tests/valgrind.supp). MEMCHECK_REGEX limits it to some tests.
memcheck: deps
	cmake -S . -B build-memcheck -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCENSUS_BUILD_BENCH=OFF \
	  -DCENSUS_BUILD_EXAMPLES=OFF $(CMAKE_ARGS)
	cmake --build build-memcheck -j$(JOBS)
	./scripts/memcheck.sh build-memcheck $(MEMCHECK_REGEX)

# Propagation interop against the node implementations alone (also part of test-release).
interop: deps
	./scripts/interop.sh

format-check: deps
	./scripts/format.sh --check

# The C benchmarks, then the Python section (scripts/bench-python.sh: census's Python recording
# and spans beside prometheus_client, opencensus 0.11.4 and opentelemetry-sdk, on Debian's
# /usr/bin/python3; it needs the test profile's Python packages and the pinned PyPI peers).
bench: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCENSUS_BUILD_BENCH=ON $(CMAKE_ARGS)
	cmake --build $(BUILD) -j$(JOBS) --target bench_record ops_callgrind ops_callgrind_shared
	./$(BUILD)/bench/bench_record $(BUILD)/bench.json
	./scripts/callgrind-ops.sh $(BUILD) 20000 --json $(BUILD)/bench.json
	./scripts/bench-python.sh $(BUILD)

install: all
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-release build-asan build-tsan build-python bindings/python/build bindings/python/census.egg-info
