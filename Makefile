# Convenience wrapper around CMake: `make demo` boots the bundled demo,
# `make check` runs the whole test suite twice (plain and ASan+UBSan).
BUILD ?= build
SANITIZE_BUILD ?= build-sanitize
JOBS ?= $(shell nproc)
CTEST = ctest --output-on-failure --timeout 300 -j$(JOBS)

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
MEMCHECK_BUILD ?= build-memcheck
DEB_BUILD ?= build-deb

.PHONY: all deps build demo check test test-sanitize deb deb-test bench fuzz stress memcheck clean

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

# A Debian package under /usr (cpack -G DEB), checked by lintian: no errors.
deb: deps
	./scripts/install-deps.sh --deb
	cmake -S . -B $(DEB_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
		-DBUILD_TESTING=OFF
	cmake --build $(DEB_BUILD) -j$(JOBS)
	rm -f $(DEB_BUILD)/bootpipe_*.deb
	cd $(DEB_BUILD) && cpack -G DEB
	lintian --fail-on error $(DEB_BUILD)/bootpipe_*.deb

# The package installed with apt-get and the demo run by a non-root user.
deb-test: deb
	./scripts/deb-test.sh $(DEB_BUILD)/bootpipe_*.deb

bench: build
	for b in tests/bench/*.sh; do echo "== $$b"; BUILD=$(BUILD) $$b || exit 1; done

# libFuzzer targets (clang, Debian's clang-14 and libclang-rt-14-dev, which
# the default suite does not need), each run FUZZ_SECONDS from its seeds.
fuzz: deps
	./scripts/install-deps.sh --fuzz
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DBOOTPIPE_FUZZ=ON -DBOOTPIPE_SANITIZE=ON -DBOOTPIPE_BUILD_GUESTS=OFF
	cmake --build $(FUZZ_BUILD) --target fuzz-all -j$(JOBS)
	tests/fuzz/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Load and fault scripts against the demo (minutes; not in `make check`).
stress: build
	for s in tests/stress/*.sh; do echo "== $$s"; BUILD=$(BUILD) $$s || exit 1; done

# The unit and integration suites under valgrind memcheck: any leak or
# invalid access fails the test (tests/memcheck/memcheck.sh).
memcheck: deps
	./scripts/install-deps.sh --memcheck
	cmake -S . -B $(MEMCHECK_BUILD) -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(MEMCHECK_BUILD) -j$(JOBS)
	tests/memcheck/memcheck.sh $(MEMCHECK_BUILD) -j$(JOBS)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD) $(MEMCHECK_BUILD) $(DEB_BUILD)
