/* The contract between the architecture-neutral guest code and each port. */
#ifndef GUEST_H
#define GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "virtqueue.h"

/* Provided by each port (aarch64/platform.c, x86_64/platform.c). */
extern const char guest_arch[];
void platform_putc(char c);
/* Prints how the guest was started (exception level, boot protocol). */
void platform_report(void);
/*
 * Finds the virtio block device, negotiates no optional features, sets up
 * queue 0 on the memory in @vq and reports the capacity in 512-byte sectors.
 * Prints what it found; returns 0, or -1 after printing why it failed.
 */
int platform_blk_init(struct virtq *vq, uint64_t *sectors);
void platform_blk_notify(void);
/* Never returns: powers the machine off so QEMU exits by itself. */
void platform_poweroff(void) __attribute__((noreturn));

/* Architecture-neutral entry, called by the port once the console works. */
void guest_main(void) __attribute__((noreturn));

void con_puts(const char *s);
void con_put_hex(uint64_t v);
void con_put_dec(uint32_t v);

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

#endif
