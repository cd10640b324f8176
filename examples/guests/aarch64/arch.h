/* aarch64 primitives: barriers and device register access. */
#ifndef ARCH_H
#define ARCH_H

#include <stdint.h>

static inline void arch_mb(void)
{
	__asm__ volatile("dmb sy" ::: "memory");
}

/*
 * A busy-wait step. Only a compiler barrier: under TCG, pause/yield leave
 * the translated code and cost about a hundred times a loop iteration,
 * which would stretch the guests' bounded waits from seconds to minutes.
 */
static inline void arch_relax(void)
{
	__asm__ volatile("" ::: "memory");
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

#endif
