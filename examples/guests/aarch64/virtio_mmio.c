/*
 * The virtio block device on QEMU virt's virtio-mmio transports: legacy
 * (version 1, QEMU's default) or modern (version 2, with
 * -global virtio-mmio.force-legacy=false).
 */
#include "arch.h"
#include "guest.h"

#define VIRTIO_MMIO_BASE 0x0a000000u
#define VIRTIO_MMIO_STRIDE 0x200u
#define VIRTIO_MMIO_COUNT 32u
#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u
#define VIRTIO_ID_BLOCK 2u

enum virtio_mmio_reg {
	MMIO_MAGIC = 0x000,
	MMIO_VERSION = 0x004,
	MMIO_DEVICE_ID = 0x008,
	MMIO_HOST_FEATURES = 0x010,
	MMIO_HOST_FEATURES_SEL = 0x014,
	MMIO_GUEST_FEATURES = 0x020,
	MMIO_GUEST_FEATURES_SEL = 0x024,
	MMIO_GUEST_PAGE_SIZE = 0x028, /* legacy only */
	MMIO_QUEUE_SEL = 0x030,
	MMIO_QUEUE_NUM_MAX = 0x034,
	MMIO_QUEUE_NUM = 0x038,
	MMIO_QUEUE_ALIGN = 0x03c, /* legacy only */
	MMIO_QUEUE_PFN = 0x040,	  /* legacy only */
	MMIO_QUEUE_READY = 0x044, /* modern only */
	MMIO_QUEUE_NOTIFY = 0x050,
	MMIO_STATUS = 0x070,
	MMIO_QUEUE_DESC_LOW = 0x080,
	MMIO_QUEUE_DESC_HIGH = 0x084,
	MMIO_QUEUE_DRIVER_LOW = 0x090,
	MMIO_QUEUE_DRIVER_HIGH = 0x094,
	MMIO_QUEUE_DEVICE_LOW = 0x0a0,
	MMIO_QUEUE_DEVICE_HIGH = 0x0a4,
	MMIO_CONFIG = 0x100,
};

/* The guest sets up only a few entries; one request uses three. */
#define BLK_QUEUE_SIZE 16u

static uintptr_t blk_base;

static uint32_t reg_read(enum virtio_mmio_reg r)
{
	return mmio_read32(blk_base + r);
}

static void reg_write(enum virtio_mmio_reg r, uint32_t v)
{
	mmio_write32(blk_base + r, v);
}

static void status_add(uint32_t bits)
{
	reg_write(MMIO_STATUS, reg_read(MMIO_STATUS) | bits);
}

static uintptr_t blk_find(void)
{
	for (uint32_t n = 0; n < VIRTIO_MMIO_COUNT; n++) {
		uintptr_t base = VIRTIO_MMIO_BASE + n * VIRTIO_MMIO_STRIDE;

		if (mmio_read32(base + MMIO_MAGIC) != VIRTIO_MMIO_MAGIC_VALUE)
			continue;
		if (mmio_read32(base + MMIO_DEVICE_ID) == VIRTIO_ID_BLOCK)
			return base;
	}
	return 0;
}

/* Version 2 requires VIRTIO_F_VERSION_1 (feature bit 32) and FEATURES_OK. */
static int features_modern(void)
{
	reg_write(MMIO_HOST_FEATURES_SEL, 1);
	if (!(reg_read(MMIO_HOST_FEATURES) & 1u)) {
		con_puts("virtio-mmio: version 2 device without "
			 "VIRTIO_F_VERSION_1\r\n");
		return -1;
	}
	reg_write(MMIO_GUEST_FEATURES_SEL, 1);
	reg_write(MMIO_GUEST_FEATURES, 1u);
	reg_write(MMIO_GUEST_FEATURES_SEL, 0);
	reg_write(MMIO_GUEST_FEATURES, 0);
	status_add(VIRTIO_STATUS_FEATURES_OK);
	if (!(reg_read(MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		con_puts("virtio-mmio: device refused the feature set\r\n");
		return -1;
	}
	return 0;
}

static void queue_modern(struct virtq *vq)
{
	uint64_t desc = (uintptr_t)vq->desc;
	uint64_t avail = (uintptr_t)vq->avail;
	uint64_t used = (uintptr_t)vq->used;

	reg_write(MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	reg_write(MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	reg_write(MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	reg_write(MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	reg_write(MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	reg_write(MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	reg_write(MMIO_QUEUE_READY, 1);
}

static void queue_legacy(struct virtq *vq)
{
	reg_write(MMIO_QUEUE_ALIGN, VIRTQ_ALIGN);
	reg_write(MMIO_QUEUE_PFN,
		  (uint32_t)((uintptr_t)vq->desc / VIRTQ_ALIGN));
}

int platform_blk_init(struct virtq *vq, uint64_t *sectors)
{
	uint32_t version, max;
	uint16_t size;

	blk_base = blk_find();
	if (!blk_base) {
		con_puts(
		    "virtio-mmio: no block device among the 32 transports at ");
		con_put_hex(VIRTIO_MMIO_BASE);
		con_puts("\r\n");
		return -1;
	}
	version = reg_read(MMIO_VERSION);
	con_puts("virtio-blk: virtio-mmio at ");
	con_put_hex(blk_base);
	con_puts(version == 1 ? " (legacy)\r\n" : " (modern)\r\n");
	if (version != 1 && version != 2) {
		con_puts("virtio-mmio: unknown transport version\r\n");
		return -1;
	}

	reg_write(MMIO_STATUS, 0);
	status_add(VIRTIO_STATUS_ACKNOWLEDGE);
	status_add(VIRTIO_STATUS_DRIVER);
	if (version == 2) {
		if (features_modern() < 0)
			goto failed;
	} else {
		reg_write(MMIO_GUEST_FEATURES_SEL, 0);
		reg_write(MMIO_GUEST_FEATURES, 0);
		reg_write(MMIO_GUEST_PAGE_SIZE, VIRTQ_ALIGN);
	}

	reg_write(MMIO_QUEUE_SEL, 0);
	max = reg_read(MMIO_QUEUE_NUM_MAX);
	if (max == 0) {
		con_puts("virtio-mmio: queue 0 is not available\r\n");
		goto failed;
	}
	size = (uint16_t)(max < BLK_QUEUE_SIZE ? max : BLK_QUEUE_SIZE);
	if (virtq_init(vq, size) < 0) {
		con_puts("virtio-mmio: queue does not fit the guest's ring "
			 "area\r\n");
		goto failed;
	}
	reg_write(MMIO_QUEUE_NUM, size);
	if (version == 2)
		queue_modern(vq);
	else
		queue_legacy(vq);
	status_add(VIRTIO_STATUS_DRIVER_OK);

	/* virtio_blk_config starts with the capacity, in 512-byte sectors. */
	*sectors =
	    (uint64_t)reg_read(MMIO_CONFIG + 4) << 32 | reg_read(MMIO_CONFIG);
	return 0;

failed:
	status_add(VIRTIO_STATUS_FAILED);
	return -1;
}

void platform_blk_notify(void)
{
	reg_write(MMIO_QUEUE_NOTIFY, 0);
}
