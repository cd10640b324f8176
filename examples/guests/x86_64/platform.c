/*
 * The x86 port for QEMU q35 (and pc): 16550 console on COM1, the virtio
 * block device found by a PCI configuration-space scan and driven through
 * its legacy I/O-port interface (QEMU makes virtio-blk-pci transitional on
 * the q35 root bus), and ACPI S5 power-off using the FADT and the DSDT's
 * _S5 package, so QEMU exits with status 0.
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

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_VENDOR_VIRTIO 0x1af4
#define PCI_DEVICE_VIRTIO_BLK_LEGACY 0x1001
#define PCI_DEVICE_VIRTIO_BLK_MODERN 0x1042
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MASTER 0x4
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10

/* Legacy virtio-pci registers, offsets into BAR0 (I/O space). */
#define VP_HOST_FEATURES 0x00
#define VP_GUEST_FEATURES 0x04
#define VP_QUEUE_PFN 0x08
#define VP_QUEUE_SIZE 0x0c
#define VP_QUEUE_SEL 0x0e
#define VP_QUEUE_NOTIFY 0x10
#define VP_STATUS 0x12
/* Device configuration starts here while MSI-X is disabled. */
#define VP_CONFIG 0x14

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

#define ACPI_SLP_EN (1u << 13)
#define ACPI_SCI_EN 1u

const char guest_arch[] = "x86_64";

static uint16_t blk_io;
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

static uint32_t pci_addr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc);
}

static uint32_t pci_read32(uint32_t bus, uint32_t dev, uint32_t fn,
			   uint32_t off)
{
	outl(PCI_CONFIG_ADDRESS, pci_addr(bus, dev, fn, off));
	return inl(PCI_CONFIG_DATA);
}

static void pci_write32(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t off,
			uint32_t v)
{
	outl(PCI_CONFIG_ADDRESS, pci_addr(bus, dev, fn, off));
	outl(PCI_CONFIG_DATA, v);
}

static void put_bdf(uint32_t bus, uint32_t dev, uint32_t fn)
{
	static const char hex[] = "0123456789abcdef";

	platform_putc(hex[bus >> 4 & 0xf]);
	platform_putc(hex[bus & 0xf]);
	platform_putc(':');
	platform_putc(hex[dev >> 4 & 0xf]);
	platform_putc(hex[dev & 0xf]);
	platform_putc('.');
	platform_putc(hex[fn & 0x7]);
}

/* Returns the function's id register when it is a virtio block device. */
static uint32_t pci_virtio_blk_id(uint32_t bus, uint32_t dev, uint32_t fn)
{
	uint32_t id = pci_read32(bus, dev, fn, 0);
	uint32_t device = id >> 16;

	if ((id & 0xffff) != PCI_VENDOR_VIRTIO)
		return 0;
	if (device != PCI_DEVICE_VIRTIO_BLK_LEGACY &&
	    device != PCI_DEVICE_VIRTIO_BLK_MODERN)
		return 0;
	return id;
}

static int pci_find_blk(uint32_t *bus, uint32_t *dev, uint32_t *fn,
			uint32_t *device)
{
	for (uint32_t b = 0; b < 256; b++) {
		for (uint32_t d = 0; d < 32; d++) {
			uint32_t fns = 1, id;

			if ((pci_read32(b, d, 0, 0) & 0xffff) == 0xffff)
				continue;
			if (pci_read32(b, d, 0, PCI_HEADER_TYPE) >> 16 & 0x80)
				fns = 8;
			for (uint32_t f = 0; f < fns; f++) {
				id = pci_virtio_blk_id(b, d, f);
				if (!id)
					continue;
				*bus = b;
				*dev = d;
				*fn = f;
				*device = id >> 16;
				return 0;
			}
		}
	}
	return -1;
}

static void vp_status_add(uint8_t bits)
{
	outb(blk_io + VP_STATUS, inb(blk_io + VP_STATUS) | bits);
}

/* Multiboot information: flags, then mem_lower and mem_upper in KiB. */
static void boot_report(void)
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

int platform_blk_init(struct virtq *vq, uint64_t *sectors)
{
	uint32_t bus, dev, fn, device, bar0, cmd;
	uint16_t size;

	boot_report();

	if (pci_find_blk(&bus, &dev, &fn, &device) < 0) {
		con_puts("virtio-pci: no virtio block device (1af4:1001 or "
			 "1af4:1042) on PCI\r\n");
		return -1;
	}
	con_puts("virtio-blk: virtio-pci at ");
	put_bdf(bus, dev, fn);
	if (device == PCI_DEVICE_VIRTIO_BLK_MODERN) {
		con_puts(" is modern-only (1af4:1042); this guest drives the "
			 "legacy interface,"
			 " attach it with disable-legacy=off\r\n");
		return -1;
	}
	bar0 = pci_read32(bus, dev, fn, PCI_BAR0);
	if (!(bar0 & 1) || (bar0 & ~3u) == 0 || (bar0 & ~3u) > 0xffff) {
		con_puts(" has no I/O BAR0 (");
		con_put_hex(bar0);
		con_puts(")\r\n");
		return -1;
	}
	blk_io = (uint16_t)(bar0 & ~3u);
	con_puts(" (legacy, I/O ");
	con_put_hex(blk_io);
	con_puts(")\r\n");
	/* The firmware assigns the BAR; the device still needs I/O and DMA. */
	cmd = pci_read32(bus, dev, fn, PCI_COMMAND);
	pci_write32(bus, dev, fn, PCI_COMMAND,
		    (cmd & 0xffff) | PCI_COMMAND_IO | PCI_COMMAND_MASTER);

	outb(blk_io + VP_STATUS, 0);
	vp_status_add(VIRTIO_STATUS_ACKNOWLEDGE);
	vp_status_add(VIRTIO_STATUS_DRIVER);
	(void)inl(blk_io + VP_HOST_FEATURES);
	outl(blk_io + VP_GUEST_FEATURES, 0);

	/* The legacy PCI interface dictates the queue size. */
	outw(blk_io + VP_QUEUE_SEL, 0);
	size = inw(blk_io + VP_QUEUE_SIZE);
	if (virtq_init(vq, size) < 0) {
		con_puts("virtio-pci: queue 0 size ");
		con_put_dec(size);
		con_puts(" is unusable (0, or larger than the guest's ring "
			 "area)\r\n");
		vp_status_add(VIRTIO_STATUS_FAILED);
		return -1;
	}
	outl(blk_io + VP_QUEUE_PFN,
	     (uint32_t)((uintptr_t)vq->desc / VIRTQ_ALIGN));
	vp_status_add(VIRTIO_STATUS_DRIVER_OK);

	*sectors = inl(blk_io + VP_CONFIG) |
		   (uint64_t)inl(blk_io + VP_CONFIG + 4) << 32;
	return 0;
}

void platform_blk_notify(void)
{
	outw(blk_io + VP_QUEUE_NOTIFY, 0);
}

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
	con_puts("acpi: S5 request did not power off\r\n");
halt:
	for (;;)
		__asm__ volatile("cli; hlt");
}

void x86_main(uint32_t magic, uint32_t mbi);

void x86_main(uint32_t magic, uint32_t mbi)
{
	boot_magic = magic;
	boot_info = mbi;
	uart_init();
	guest_main();
}
