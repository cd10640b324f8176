/* Internal interfaces of the x86 port. */
#ifndef X86_H
#define X86_H

#include <stddef.h>
#include <stdint.h>

struct pci_dev {
	uint32_t bus, dev, fn;
	uint16_t vendor, device;
};

#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_CAP_ID_VENDOR 0x09

uint32_t pci_read32(const struct pci_dev *d, uint32_t off);
uint8_t pci_read8(const struct pci_dev *d, uint32_t off);
void pci_write32(const struct pci_dev *d, uint32_t off, uint32_t v);
void pci_enable(const struct pci_dev *d, uint32_t command_bits);
/* Finds the first function with @vendor and one of @devices; 0 or -1. */
int pci_find(uint16_t vendor, const uint16_t *devices, size_t n,
	     struct pci_dev *out);
void pci_put_bdf(const struct pci_dev *d);
/* Offset of the first capability, or 0 when the function has none. */
uint8_t pci_cap_first(const struct pci_dev *d);
uint8_t pci_cap_next(const struct pci_dev *d, uint8_t cap);
/*
 * Base of memory BAR @bar (64-bit BARs included). Returns 0, or -1 after
 * printing why (I/O BAR, unassigned, or above 4 GiB where 32-bit code
 * cannot reach it).
 */
int pci_bar_mem(const struct pci_dev *d, unsigned int bar, uintptr_t *base);

#endif
