/* x86 primitives for the 32-bit protected-mode guest: barriers, port I/O. */
#ifndef ARCH_H
#define ARCH_H

#include <stdint.h>

/* A locked operation orders all memory accesses on every x86 CPU. */
static inline void arch_mb(void)
{
	__asm__ volatile("lock; addl $0, (%%esp)" ::: "memory", "cc");
}

static inline void arch_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#endif
