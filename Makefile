# Thin driver around CMake (neovim's pattern). Everything real is in
# CMakeLists.txt; this file only names the everyday commands.
#
#   make demo    install deps, build, run the demo on embedded defaults
#   make test    install deps, build, run the whole test suite
#   make deps    install the Debian packages (apt-get; sudo when not root)
#   make bench   benchmarks (prints numbers); KAFKA=real: the pipeline
#                through the mock cluster and a real Kafka side by side,
#                both guarantees (BENCH_ARGS='--commands 20000' to shorten)
#   make asan    the whole suite under AddressSanitizer + UBSan
#   make valgrind  the unit tests under valgrind
#   make fuzz    libFuzzer targets (clang, ASan+UBSan) in build-fuzz, each
#                run FUZZ_SECONDS (20), FUZZ_JOBS (2) at a time

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
FUZZ_JOBS  ?= 2
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
CTEST_ARGS ?=
KAFKA      ?=
BENCH_ARGS ?=

.PHONY: all deps build test demo bench asan valgrind fuzz clean format

all: build

deps:
	.ci/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

test: deps
	$(MAKE) build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) $(CTEST_ARGS)

demo: deps
	$(MAKE) build
	./$(BUILD)/bin/payatom-worker demo

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
