# Convenience wrapper around CMake: `make demo` boots the bundled demo,
# `make check` runs the whole test suite twice (plain and ASan+UBSan).
BUILD ?= build
SANITIZE_BUILD ?= build-sanitize
JOBS ?= $(shell nproc)
CTEST = ctest --output-on-failure --timeout 300 -j$(JOBS)

.PHONY: all deps build demo check test test-sanitize bench fuzz clean

all: build

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	$(BUILD)/bin/bootpipe run

test: build
	cd $(BUILD) && $(CTEST)

test-sanitize: deps
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBOOTPIPE_SANITIZE=ON
	cmake --build $(SANITIZE_BUILD) -j$(JOBS)
	# use_tls=0: GCC 12's LeakSanitizer misreads glibc 2.36's dynamic TLS
	# vector and its tracer crashes; plugins stay mapped so leak reports
	# can name their frames.
	cd $(SANITIZE_BUILD) && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=use_tls=0:print_suppressions=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		BOOTPIPE_NO_DLCLOSE=1 $(CTEST)

check: test test-sanitize

bench: build
	for b in tests/bench/*.sh; do echo "== $$b"; BUILD=$(BUILD) $$b || exit 1; done

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)
