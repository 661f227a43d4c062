# Thin driver around CMake (neovim's pattern). Everything real is in
# CMakeLists.txt; this file only names the everyday commands.
#
#   make demo    install deps, build, run the demo on embedded defaults
#   make test    install deps, build, run the whole test suite
#   make tour    run README.md's five-minute tour (tests/ops/tour.sh)
#   make install PREFIX=/usr/local   programs, headers, libpayatom (+ .pc)
#   make deps    install the Debian packages (apt-get; sudo when not root)
#   make build   build with the compiler's full output (developers)
#   make docs    regenerate the generated parts of docs/ (configuration)
#   make bench   benchmarks (prints numbers); KAFKA=real: the pipeline
#                through the mock cluster and a real Kafka side by side,
#                both guarantees (BENCH_ARGS='--commands 20000' to shorten)
#   make asan    the whole suite under AddressSanitizer + UBSan
#   make valgrind  the unit tests under valgrind
#   make fuzz    libFuzzer targets (clang, ASan+UBSan) in build-fuzz, each
#                run FUZZ_SECONDS (20), FUZZ_JOBS (2) at a time
#
# demo, test, tour and install build quietly: a few progress lines, the
# compiler's output in $(BUILD)/build.log (its tail is shown on failure).

SHELL      := /bin/bash
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
FUZZ_JOBS  ?= 2
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
CMAKE_ARGS ?=
CTEST_ARGS ?=
KAFKA      ?=
BENCH_ARGS ?=

.PHONY: all deps build quiet-build test demo tour install docs bench asan valgrind fuzz clean format

all: build

deps:
	@.ci/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# The build in a few lines: configure once, then 25 %, 50 %, 75 %, done.
quiet-build:
	@set -o pipefail; mkdir -p $(BUILD); log=$(BUILD)/build.log; start=$$SECONDS; \
	echo "build: $(BUILD)/ with $(JOBS) jobs (compiler output: $$log)"; \
	: >$$log; \
	if [ ! -f $(BUILD)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD) $(CMAKE_ARGS) >>$$log 2>&1 || \
	    { tail -30 $$log; echo "build: cmake configure FAILED (see $$log)"; exit 1; }; \
	fi; \
	quiet=; [ -f $(BUILD)/Makefile ] && quiet="-- --no-print-directory"; \
	cmake --build $(BUILD) -j$(JOBS) $$quiet 2>&1 | tee -a $$log | \
	  awk 'match($$0, /^\[ *[0-9]+%\]/) { p = substr($$0, 2, RLENGTH - 3) + 0; \
	         if (p >= next_p && p < 100) { printf "build: %d%%\n", p; fflush(); \
	           while (next_p <= p) next_p += 25 } } BEGIN { next_p = 25 }' || \
	  { tail -30 $$log; echo "build: FAILED (the whole log: $$log)"; exit 1; }; \
	echo "build: done in $$((SECONDS - start)) s"

test: deps
	@$(MAKE) --no-print-directory quiet-build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) $(CTEST_ARGS)

demo: deps
	@$(MAKE) --no-print-directory quiet-build
	@./$(BUILD)/bin/payatom-worker demo

tour: deps
	@$(MAKE) --no-print-directory quiet-build
	@tests/ops/tour.sh . $(BUILD)/bin

install:
	@$(MAKE) --no-print-directory quiet-build
	cmake --install $(BUILD) --prefix $(PREFIX)

docs:
	@$(MAKE) --no-print-directory quiet-build
	@tests/ops/config_reference.sh --update $(BUILD)/bin docs/configuration.md

bench: deps
	$(MAKE) build
	tests/bench/run.sh $(if $(KAFKA),--kafka $(KAFKA)) $(BUILD) $(BENCH_ARGS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DPAYATOM_SANITIZE='address;undefined' -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -LE 'kafka|bench' $(CTEST_ARGS)

valgrind: deps
	$(MAKE) build
	tests/valgrind.sh $(BUILD)

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DPAYATOM_FUZZ=ON -DPAYATOM_SANITIZE='address;undefined' -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
