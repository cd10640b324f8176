/*
 * The virtio block device over PCI. A transitional device (1af4:1001, what
 * QEMU attaches on the q35 and pc root bus) is driven through its legacy
 * I/O-port interface; a modern-only one (1af4:1042, e.g. behind a PCIe root
 * port or with disable-legacy=on) through the virtio 1.x capabilities.
 */
#include "arch.h"
#include "guest.h"
#include "x86.h"

#define PCI_VENDOR_VIRTIO 0x1af4
#define PCI_DEVICE_VIRTIO_BLK_LEGACY 0x1001
#define PCI_DEVICE_VIRTIO_BLK_MODERN 0x1042
#define PCI_BAR0 0x10

/* Legacy registers, offsets into BAR0 (I/O space). */
#define VP_HOST_FEATURES 0x00
#define VP_GUEST_FEATURES 0x04
#define VP_QUEUE_PFN 0x08
#define VP_QUEUE_SIZE 0x0c
#define VP_QUEUE_SEL 0x0e
#define VP_QUEUE_NOTIFY 0x10
#define VP_STATUS 0x12
/* Device configuration starts here while MSI-X is disabled. */
#define VP_CONFIG 0x14

/* Modern capability types and struct virtio_pci_common_cfg offsets. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VC_DEVICE_FEATURE_SELECT 0x00
#define VC_DEVICE_FEATURE 0x04
#define VC_DRIVER_FEATURE_SELECT 0x08
#define VC_DRIVER_FEATURE 0x0c
#define VC_DEVICE_STATUS 0x14
#define VC_QUEUE_SELECT 0x16
#define VC_QUEUE_SIZE 0x18
#define VC_QUEUE_ENABLE 0x1c
#define VC_QUEUE_NOTIFY_OFF 0x1e
#define VC_QUEUE_DESC 0x20
#define VC_QUEUE_DRIVER 0x28
#define VC_QUEUE_DEVICE 0x30

/* A modern queue need not be as large as the device allows. */
#define MODERN_QUEUE_SIZE 16u

static uint16_t legacy_io;
static uintptr_t modern_notify;

static void legacy_status_add(uint8_t bits)
{
	outb(legacy_io + VP_STATUS, inb(legacy_io + VP_STATUS) | bits);
}

static int legacy_init(const struct pci_dev *d, struct virtq *vq,
		       uint64_t *sectors)
{
	uint32_t bar0 = pci_read32(d, PCI_BAR0);
	uint16_t size;

	if (!(bar0 & 1) || (bar0 & ~3u) == 0 || (bar0 & ~3u) > 0xffff) {
		con_puts(" has no legacy I/O BAR0 (");
		con_put_hex(bar0);
		con_puts(")\r\n");
		return -1;
	}
	legacy_io = (uint16_t)(bar0 & ~3u);
	con_puts(" (legacy, I/O ");
	con_put_hex(legacy_io);
	con_puts(")\r\n");
	pci_enable(d, PCI_COMMAND_IO | PCI_COMMAND_MASTER);

	outb(legacy_io + VP_STATUS, 0);
	legacy_status_add(VIRTIO_STATUS_ACKNOWLEDGE);
	legacy_status_add(VIRTIO_STATUS_DRIVER);
	(void)inl(legacy_io + VP_HOST_FEATURES);
	outl(legacy_io + VP_GUEST_FEATURES, 0);

	/* The legacy PCI interface dictates the queue size. */
	outw(legacy_io + VP_QUEUE_SEL, 0);
	size = inw(legacy_io + VP_QUEUE_SIZE);
	if (virtq_init(vq, size) < 0) {
		con_puts("virtio-pci: queue 0 size ");
		con_put_dec(size);
		con_puts(" is 0 or larger than the guest's ring area\r\n");
		legacy_status_add(VIRTIO_STATUS_FAILED);
		return -1;
	}
	outl(legacy_io + VP_QUEUE_PFN,
	     (uint32_t)((uintptr_t)vq->desc / VIRTQ_ALIGN));
	legacy_status_add(VIRTIO_STATUS_DRIVER_OK);

	*sectors = (uint64_t)inl(legacy_io + VP_CONFIG + 4) << 32 |
		   inl(legacy_io + VP_CONFIG);
	return 0;
}

struct modern_regions {
	uintptr_t common, notify, device;
	uint32_t notify_multiplier;
};

/* Walks the vendor capabilities for the three regions the driver needs. */
static int modern_find(const struct pci_dev *d, struct modern_regions *r)
{
	for (uint8_t cap = pci_cap_first(d); cap; cap = pci_cap_next(d, cap)) {
		uint8_t type = pci_read8(d, cap + 3u);
		uintptr_t base;

		if (pci_read8(d, cap) != PCI_CAP_ID_VENDOR)
			continue;
		if (type != VIRTIO_PCI_CAP_COMMON_CFG &&
		    type != VIRTIO_PCI_CAP_NOTIFY_CFG &&
		    type != VIRTIO_PCI_CAP_DEVICE_CFG)
			continue;
		if (pci_bar_mem(d, pci_read8(d, cap + 4u), &base) < 0)
			return -1;
		base += pci_read32(d, cap + 8u);
		if (type == VIRTIO_PCI_CAP_COMMON_CFG && !r->common)
			r->common = base;
		else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !r->device)
			r->device = base;
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !r->notify) {
			r->notify = base;
			r->notify_multiplier = pci_read32(d, cap + 16u);
		}
	}
	if (!r->common || !r->notify || !r->device) {
		con_puts("virtio-pci: common, notify or device capability "
			 "missing\r\n");
		return -1;
	}
	return 0;
}

static void modern_status_add(uintptr_t common, uint8_t bits)
{
	uintptr_t reg = common + VC_DEVICE_STATUS;

	mmio_write8(reg, mmio_read8(reg) | bits);
}

static void write64(uintptr_t reg, uint64_t v)
{
	mmio_write32(reg, (uint32_t)v);
	mmio_write32(reg + 4, (uint32_t)(v >> 32));
}

static int modern_init(const struct pci_dev *d, struct virtq *vq,
		       uint64_t *sectors)
{
	struct modern_regions r = {0};
	uint16_t max, size, notify_off;

	con_puts(" (modern)\r\n");
	pci_enable(d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (modern_find(d, &r) < 0)
		return -1;

	mmio_write8(r.common + VC_DEVICE_STATUS, 0);
	while (mmio_read8(r.common + VC_DEVICE_STATUS))
		arch_relax();
	modern_status_add(r.common, VIRTIO_STATUS_ACKNOWLEDGE);
	modern_status_add(r.common, VIRTIO_STATUS_DRIVER);

	/* Accept VIRTIO_F_VERSION_1 (bit 32) and nothing else. */
	mmio_write32(r.common + VC_DEVICE_FEATURE_SELECT, 1);
	if (!(mmio_read32(r.common + VC_DEVICE_FEATURE) & 1u)) {
		con_puts("virtio-pci: device lacks VIRTIO_F_VERSION_1\r\n");
		goto failed;
	}
	mmio_write32(r.common + VC_DRIVER_FEATURE_SELECT, 0);
	mmio_write32(r.common + VC_DRIVER_FEATURE, 0);
	mmio_write32(r.common + VC_DRIVER_FEATURE_SELECT, 1);
	mmio_write32(r.common + VC_DRIVER_FEATURE, 1u);
	modern_status_add(r.common, VIRTIO_STATUS_FEATURES_OK);
	if (!(mmio_read8(r.common + VC_DEVICE_STATUS) &
	      VIRTIO_STATUS_FEATURES_OK)) {
		con_puts("virtio-pci: device refused the feature set\r\n");
		goto failed;
	}

	mmio_write16(r.common + VC_QUEUE_SELECT, 0);
	max = mmio_read16(r.common + VC_QUEUE_SIZE);
	size = max < MODERN_QUEUE_SIZE ? max : MODERN_QUEUE_SIZE;
	if (virtq_init(vq, size) < 0) {
		con_puts("virtio-pci: queue 0 is not available\r\n");
		goto failed;
	}
	mmio_write16(r.common + VC_QUEUE_SIZE, size);
	write64(r.common + VC_QUEUE_DESC, (uintptr_t)vq->desc);
	write64(r.common + VC_QUEUE_DRIVER, (uintptr_t)vq->avail);
	write64(r.common + VC_QUEUE_DEVICE, (uintptr_t)vq->used);
	notify_off = mmio_read16(r.common + VC_QUEUE_NOTIFY_OFF);
	modern_notify = r.notify + notify_off * r.notify_multiplier;
	mmio_write16(r.common + VC_QUEUE_ENABLE, 1);
	modern_status_add(r.common, VIRTIO_STATUS_DRIVER_OK);

	*sectors =
	    (uint64_t)mmio_read32(r.device + 4) << 32 | mmio_read32(r.device);
	return 0;

failed:
	modern_status_add(r.common, VIRTIO_STATUS_FAILED);
	return -1;
}

int platform_blk_init(struct virtq *vq, uint64_t *sectors)
{
	static const uint16_t ids[] = {PCI_DEVICE_VIRTIO_BLK_LEGACY,
				       PCI_DEVICE_VIRTIO_BLK_MODERN};
	struct pci_dev d;

	if (pci_find(PCI_VENDOR_VIRTIO, ids, 2, &d) < 0) {
		con_puts("virtio-pci: no virtio block device (1af4:1001 or "
			 "1af4:1042) on PCI\r\n");
		return -1;
	}
	con_puts("virtio-blk: virtio-pci at ");
	pci_put_bdf(&d);
	if (d.device == PCI_DEVICE_VIRTIO_BLK_LEGACY)
		return legacy_init(&d, vq, sectors);
	return modern_init(&d, vq, sectors);
}

void platform_blk_notify(void)
{
	if (modern_notify)
		mmio_write16(modern_notify, 0);
	else
		outw(legacy_io + VP_QUEUE_NOTIFY, 0);
}
