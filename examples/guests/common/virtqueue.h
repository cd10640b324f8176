/*
 * A split virtqueue in the legacy layout (virtio 1.x spec, 2.7 and the
 * legacy-interface section), which also satisfies the alignment rules of the
 * modern interface. The guests run with the MMU or paging off, so a pointer
 * is the physical address the device sees.
 */
#ifndef VIRTQUEUE_H
#define VIRTQUEUE_H

#include <stdint.h>

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
/* Legacy transports need the used ring on its own page. */
#define VIRTQ_ALIGN 4096u

#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_FAILED 128u

#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_S_OK 0u

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

struct virtq {
	uint16_t size;
	uint16_t last_used;
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
};

/* Bytes a queue of @size entries needs in the legacy layout. */
uint32_t virtq_bytes(uint16_t size);
/*
 * Lays out a queue of @size entries on the zeroed, VIRTQ_ALIGN-aligned
 * static area. Returns 0, or -1 when @size does not fit.
 */
int virtq_init(struct virtq *vq, uint16_t size);
/* Start of that static area (descriptor table), for the transports. */
uintptr_t virtq_area(void);

/*
 * Reads one 512-byte sector with a real request (header, data, status
 * descriptors) and polls the used ring. Returns 0, or -1 after printing why.
 */
int virtio_blk_read(struct virtq *vq, uint64_t sector, uint8_t *buf);

#endif
