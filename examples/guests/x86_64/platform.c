/*
 * The x86 port for QEMU q35 (and pc), entered from start.S in 32-bit
 * protected mode: the 16550 console on COM1 and the boot report. The virtio
 * block device is in virtio_pci.c, power-off in acpi.c.
 */
#include "arch.h"
#include "guest.h"

#define COM1 0x3f8
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THRE 0x20

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

const char guest_arch[] = "x86_64";

static uint32_t boot_magic, boot_info;

void platform_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

static void uart_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x80); /* divisor latch */
	outb(COM1 + UART_THR, 0x01); /* 115200 baud */
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(COM1 + UART_FCR, 0xc7);
	outb(COM1 + UART_MCR, 0x03);
}

/* Multiboot information: flags, then mem_lower and mem_upper in KiB. */
void platform_report(void)
{
	const volatile uint32_t *mbi =
	    (const volatile uint32_t *)(uintptr_t)boot_info;

	if (boot_magic != MULTIBOOT_BOOTLOADER_MAGIC) {
		con_puts("boot: not started by a multiboot loader (eax ");
		con_put_hex(boot_magic);
		con_puts(")\r\n");
		return;
	}
	con_puts("boot: multiboot, 32-bit protected mode");
	if (mbi && (mbi[0] & 1)) {
		con_puts(", ");
		con_put_dec(mbi[2] >> 10);
		con_puts(" MiB above 1 MiB");
	}
	con_puts("\r\n");
}

void x86_main(uint32_t magic, uint32_t mbi);

void x86_main(uint32_t magic, uint32_t mbi)
{
	boot_magic = magic;
	boot_info = mbi;
	uart_init();
	guest_main();
}
