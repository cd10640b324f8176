/*
 * ACPI S5 power-off: the PM1a control block from the FADT and SLP_TYPa from
 * the DSDT's _S5 package, so QEMU sees a guest shutdown and exits with 0.
 */
#include "arch.h"
#include "guest.h"

#define ACPI_SLP_EN (1u << 13)
#define ACPI_SCI_EN 1u
/* Seconds under TCG; only a machine that ignores S5 waits this out. */
#define ACPI_OFF_WAIT_SPINS 200000000u

/* ACPI tables, just the fields the S5 power-off needs. */
struct acpi_sdt {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem[6];
	char oem_table[8];
	uint32_t oem_revision;
	uint32_t creator;
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_sdt hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
} __attribute__((packed));

static int bytes_equal(const void *a, const char *b, size_t n)
{
	const uint8_t *p = a;

	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)b[i])
			return 0;
	return 1;
}

static int checksum_ok(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum == 0;
}

static const uint8_t *rsdp_scan(uintptr_t start, uintptr_t end)
{
	for (uintptr_t p = start; p + 20 <= end; p += 16)
		if (bytes_equal((const void *)p, "RSD PTR ", 8) &&
		    checksum_ok((const void *)p, 20))
			return (const uint8_t *)p;
	return 0;
}

/* The RSDP lives in the first KiB of the EBDA or in the BIOS area. */
static const uint8_t *rsdp_find(void)
{
	uintptr_t ebda = (uintptr_t)(*(volatile uint16_t *)0x40e) << 4;
	const uint8_t *rsdp = 0;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		rsdp = rsdp_scan(ebda, ebda + 1024);
	if (!rsdp)
		rsdp = rsdp_scan(0xe0000, 0x100000);
	return rsdp;
}

static const struct acpi_fadt *fadt_find(void)
{
	const uint8_t *rsdp = rsdp_find();
	const struct acpi_sdt *rsdt;
	uint32_t n;

	if (!rsdp)
		return 0;
	rsdt = (const struct acpi_sdt *)(uintptr_t)(rsdp[16] | rsdp[17] << 8 |
						    rsdp[18] << 16 |
						    (uint32_t)rsdp[19] << 24);
	if (!bytes_equal(rsdt->signature, "RSDT", 4) ||
	    !checksum_ok(rsdt, rsdt->length))
		return 0;
	n = (rsdt->length - sizeof(*rsdt)) / 4;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = (const uint8_t *)(rsdt + 1) + 4 * i;
		const struct acpi_sdt *t =
		    (const struct acpi_sdt *)(uintptr_t)(e[0] | e[1] << 8 |
							 e[2] << 16 |
							 (uint32_t)e[3] << 24);

		if (bytes_equal(t->signature, "FACP", 4) &&
		    checksum_ok(t, t->length))
			return (const struct acpi_fadt *)t;
	}
	return 0;
}

/*
 * SLP_TYPa from the DSDT's "Name (_S5, Package () { a, b, ... })". The AML
 * is NameOp (0x08), the name, PackageOp (0x12), PkgLength, NumElements, then
 * each value as BytePrefix (0x0a) + byte, ZeroOp (0x00) or OneOp (0x01).
 */
static int s5_slp_typ(const struct acpi_sdt *dsdt, uint16_t *slp_typ)
{
	const uint8_t *aml = (const uint8_t *)(dsdt + 1);
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;

	for (const uint8_t *p = aml + 2; p + 12 < end; p++) {
		if (!bytes_equal(p, "_S5_", 4))
			continue;
		if (!(p[-1] == 0x08 || (p[-2] == 0x08 && p[-1] == '\\')) ||
		    p[4] != 0x12)
			continue;
		p += 5;
		p += (*p >> 6) + 1; /* PkgLength */
		p++;		    /* NumElements */
		if (*p == 0x0a)
			p++;
		else if (*p > 1)
			return -1;
		*slp_typ = *p & 7;
		return 0;
	}
	return -1;
}

/* The firmware leaves ACPI in legacy mode; the FADT says how to switch. */
static void acpi_enable(const struct acpi_fadt *fadt, uint16_t pm1a_cnt)
{
	if (inw(pm1a_cnt) & ACPI_SCI_EN || !fadt->smi_cmd || !fadt->acpi_enable)
		return;
	outb((uint16_t)fadt->smi_cmd, fadt->acpi_enable);
	for (uint32_t spins = 0;
	     spins < 1000000 && !(inw(pm1a_cnt) & ACPI_SCI_EN); spins++)
		arch_relax();
}

void platform_poweroff(void)
{
	const struct acpi_fadt *fadt = fadt_find();
	const struct acpi_sdt *dsdt;
	uint16_t slp_typ, pm1a_cnt;

	if (!fadt) {
		con_puts("acpi: no valid RSDP/RSDT/FADT, cannot power off\r\n");
		goto halt;
	}
	dsdt = (const struct acpi_sdt *)(uintptr_t)fadt->dsdt;
	if (!bytes_equal(dsdt->signature, "DSDT", 4) ||
	    s5_slp_typ(dsdt, &slp_typ) < 0) {
		con_puts(
		    "acpi: no _S5 package in the DSDT, cannot power off\r\n");
		goto halt;
	}
	pm1a_cnt = (uint16_t)fadt->pm1a_cnt_blk;
	if (!pm1a_cnt) {
		con_puts("acpi: FADT has no PM1a control block, cannot power "
			 "off\r\n");
		goto halt;
	}
	acpi_enable(fadt, pm1a_cnt);
	outw(pm1a_cnt, (uint16_t)((inw(pm1a_cnt) & ~(7u << 10)) |
				  slp_typ << 10 | ACPI_SLP_EN));
	/* QEMU handles the request asynchronously: the CPU runs on a little. */
	for (uint32_t spins = 0; spins < ACPI_OFF_WAIT_SPINS; spins++)
		arch_relax();
	con_puts("acpi: S5 request did not power off\r\n");
halt:
	for (;;)
		__asm__ volatile("cli; hlt");
}
