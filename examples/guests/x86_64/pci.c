/* PCI configuration space through the legacy 0xcf8/0xcfc mechanism. */
#include "arch.h"
#include "guest.h"
#include "x86.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34

static uint32_t config_address(uint32_t bus, uint32_t dev, uint32_t fn,
			       uint32_t off)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc);
}

static uint32_t config_read(uint32_t bus, uint32_t dev, uint32_t fn,
			    uint32_t off)
{
	outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, fn, off));
	return inl(PCI_CONFIG_DATA);
}

uint32_t pci_read32(const struct pci_dev *d, uint32_t off)
{
	return config_read(d->bus, d->dev, d->fn, off);
}

uint8_t pci_read8(const struct pci_dev *d, uint32_t off)
{
	return (uint8_t)(pci_read32(d, off) >> (8 * (off & 3)));
}

void pci_write32(const struct pci_dev *d, uint32_t off, uint32_t v)
{
	outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->dev, d->fn, off));
	outl(PCI_CONFIG_DATA, v);
}

/* The firmware assigns BARs; the device may still need decoding and DMA. */
void pci_enable(const struct pci_dev *d, uint32_t command_bits)
{
	uint32_t cmd = pci_read32(d, PCI_COMMAND) & 0xffff;

	pci_write32(d, PCI_COMMAND, cmd | command_bits);
}

static int id_matches(uint32_t id, uint16_t vendor, const uint16_t *devices,
		      size_t n)
{
	if ((id & 0xffff) != vendor)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (id >> 16 == devices[i])
			return 1;
	return 0;
}

int pci_find(uint16_t vendor, const uint16_t *devices, size_t n,
	     struct pci_dev *out)
{
	for (uint32_t bus = 0; bus < 256; bus++) {
		for (uint32_t dev = 0; dev < 32; dev++) {
			uint32_t fns = 1;

			if ((config_read(bus, dev, 0, 0) & 0xffff) == 0xffff)
				continue;
			if (config_read(bus, dev, 0, PCI_HEADER_TYPE) >> 16 &
			    0x80)
				fns = 8;
			for (uint32_t fn = 0; fn < fns; fn++) {
				uint32_t id = config_read(bus, dev, fn, 0);

				if (!id_matches(id, vendor, devices, n))
					continue;
				out->bus = bus;
				out->dev = dev;
				out->fn = fn;
				out->vendor = (uint16_t)id;
				out->device = (uint16_t)(id >> 16);
				return 0;
			}
		}
	}
	return -1;
}

void pci_put_bdf(const struct pci_dev *d)
{
	static const char hex[] = "0123456789abcdef";

	platform_putc(hex[d->bus >> 4 & 0xf]);
	platform_putc(hex[d->bus & 0xf]);
	platform_putc(':');
	platform_putc(hex[d->dev >> 4 & 0xf]);
	platform_putc(hex[d->dev & 0xf]);
	platform_putc('.');
	platform_putc(hex[d->fn & 0x7]);
}

uint8_t pci_cap_first(const struct pci_dev *d)
{
	if (!(pci_read32(d, PCI_COMMAND) >> 16 & PCI_STATUS_CAP_LIST))
		return 0;
	return pci_read8(d, PCI_CAP_PTR) & 0xfc;
}

uint8_t pci_cap_next(const struct pci_dev *d, uint8_t cap)
{
	return pci_read8(d, cap + 1u) & 0xfc;
}

int pci_bar_mem(const struct pci_dev *d, unsigned int bar, uintptr_t *base)
{
	uint32_t lo, hi = 0;

	if (bar > 5)
		return -1;
	lo = pci_read32(d, PCI_BAR0 + 4 * bar);
	if (lo & 1) {
		con_puts("pci: BAR");
		con_put_dec(bar);
		con_puts(" is an I/O BAR, a memory BAR was expected\r\n");
		return -1;
	}
	if ((lo & 0x6) == 0x4 && bar < 5)
		hi = pci_read32(d, PCI_BAR0 + 4 * (bar + 1));
	if (hi || (lo & ~0xfu) == 0) {
		con_puts("pci: BAR");
		con_put_dec(bar);
		con_puts(hi ? " lies above 4 GiB\r\n" : " is not assigned\r\n");
		return -1;
	}
	*base = lo & ~0xfu;
	return 0;
}
