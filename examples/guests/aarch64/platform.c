/*
 * The aarch64 port for QEMU virt, entered from start.S: PL011 console, the
 * boot report and PSCI SYSTEM_OFF through the conduit the exception level
 * implies. The virtio block device is in virtio_mmio.c.
 */
#include "arch.h"
#include "guest.h"

#define PL011_BASE 0x09000000u
#define PL011_DR 0x00u
#define PL011_FR 0x18u
#define PL011_FR_TXFF (1u << 5)

#define PSCI_SYSTEM_OFF 0x84000008u

const char guest_arch[] = "aarch64";

static unsigned int current_el(void)
{
	uint64_t el;

	__asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
	return (unsigned int)((el >> 2) & 3);
}

void platform_putc(char c)
{
	while (mmio_read32(PL011_BASE + PL011_FR) & PL011_FR_TXFF)
		;
	mmio_write32(PL011_BASE + PL011_DR, (uint8_t)c);
}

void platform_report(void)
{
	con_puts("cpu: EL");
	con_put_dec(current_el());
	con_puts(current_el() >= 2 ? ", PSCI via smc\r\n"
				   : ", PSCI via hvc\r\n");
}

/*
 * QEMU virt provides PSCI itself: through HVC when the guest starts at EL1,
 * through SMC when it starts at EL2 (virtualization=on).
 */
void platform_poweroff(void)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;

	if (current_el() >= 2)
		__asm__ volatile("smc #0" : "+r"(x0)::"memory");
	else
		__asm__ volatile("hvc #0" : "+r"(x0)::"memory");
	con_puts("psci: SYSTEM_OFF returned ");
	con_put_hex(x0);
	con_puts("\r\n");
	for (;;)
		__asm__ volatile("wfi");
}

void aarch64_main(void);

void aarch64_main(void)
{
	guest_main();
}
