/* Console output on top of the port's platform_putc, plus the two libc
 * functions the compiler may call even in freestanding code. */
#include "guest.h"

void con_puts(const char *s)
{
	while (*s)
		platform_putc(*s++);
}

void con_put_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	con_puts("0x");
	/* Skip leading zeros but keep at least one digit. */
	while (shift > 0 && ((v >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		platform_putc(digits[(v >> shift) & 0xf]);
}

/* 32-bit on purpose: the x86 guest has no libgcc for 64-bit division. */
void con_put_dec(uint32_t v)
{
	char buf[10];
	int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		platform_putc(buf[--n]);
}

void *memset(void *dst, int c, size_t n)
{
	volatile uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	volatile uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
