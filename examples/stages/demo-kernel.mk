# Builds the aarch64 demo guest (examples/guests) from source: the "kernel"
# that build-kernel builds in demo-custom.ini. Same flags as the project's
# own build of it.
#   make -f examples/stages/demo-kernel.mk OUT=/tmp/kernel
CROSS ?= aarch64-linux-gnu-
OUT ?= .
SRC := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))../guests)

CFLAGS := -ffreestanding -nostdlib -fno-builtin -fno-pie -no-pie -static \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fno-tree-loop-distribute-patterns --param=min-pagesize=0 \
	-O2 -g -std=gnu11 -Wall -Wextra -Werror \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments \
	-mgeneral-regs-only -mstrict-align -I$(SRC)/common -I$(SRC)/aarch64
SOURCES := $(SRC)/aarch64/start.S $(SRC)/aarch64/platform.c \
	$(SRC)/aarch64/virtio_mmio.c $(SRC)/common/main.c \
	$(SRC)/common/console.c $(SRC)/common/virtqueue.c

$(OUT)/demo-aarch64.elf: $(SOURCES) $(wildcard $(SRC)/*/*.h) $(SRC)/aarch64/link.ld
	mkdir -p $(OUT)
	$(CROSS)gcc $(CFLAGS) -Wl,-T,$(SRC)/aarch64/link.ld -o $@ $(SOURCES)
