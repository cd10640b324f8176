/* Split virtqueue set-up and the one request the guests make: read a sector. */
#include "arch.h"
#include "guest.h"

#define VIRTQ_AREA_BYTES (4 * VIRTQ_ALIGN)
/* Long enough for a slow TCG host, short enough to report a dead device. */
#define VIRTQ_POLL_LIMIT 200000000u

static uint8_t vq_area[VIRTQ_AREA_BYTES] __attribute__((aligned(VIRTQ_ALIGN)));

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct blk_req_hdr req_hdr __attribute__((aligned(16)));
static volatile uint8_t req_status;

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint32_t avail_bytes(uint16_t size)
{
	return 6u + 2u * size;
}

uint32_t virtq_bytes(uint16_t size)
{
	uint32_t used_off =
	    align_up(16u * size + avail_bytes(size), VIRTQ_ALIGN);

	return used_off + 6u + 8u * size;
}

uintptr_t virtq_area(void)
{
	return (uintptr_t)vq_area;
}

int virtq_init(struct virtq *vq, uint16_t size)
{
	uint32_t used_off;

	if (size == 0 || virtq_bytes(size) > sizeof(vq_area))
		return -1;
	used_off = align_up(16u * size + avail_bytes(size), VIRTQ_ALIGN);
	memset(vq_area, 0, sizeof(vq_area));
	vq->size = size;
	vq->last_used = 0;
	vq->desc = (volatile struct virtq_desc *)vq_area;
	vq->avail = (volatile struct virtq_avail *)(vq_area + 16u * size);
	vq->used = (volatile struct virtq_used *)(vq_area + used_off);
	return 0;
}

static void desc_set(struct virtq *vq, uint16_t i, const volatile void *addr,
		     uint32_t len, uint16_t flags)
{
	vq->desc[i].addr = (uintptr_t)addr;
	vq->desc[i].len = len;
	vq->desc[i].flags = flags;
	vq->desc[i].next = (uint16_t)(i + 1);
}

int virtio_blk_read(struct virtq *vq, uint64_t sector, uint8_t *buf)
{
	uint32_t spins = 0;
	uint16_t slot;

	req_hdr.type = VIRTIO_BLK_T_IN;
	req_hdr.reserved = 0;
	req_hdr.sector = sector;
	req_status = 0xff;

	desc_set(vq, 0, &req_hdr, sizeof(req_hdr), VIRTQ_DESC_F_NEXT);
	desc_set(vq, 1, buf, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	desc_set(vq, 2, &req_status, 1, VIRTQ_DESC_F_WRITE);

	slot = vq->avail->idx % vq->size;
	vq->avail->ring[slot] = 0;
	/* The device must see the descriptors before the new index. */
	arch_mb();
	vq->avail->idx = (uint16_t)(vq->avail->idx + 1);
	arch_mb();
	platform_blk_notify();

	while (vq->used->idx == vq->last_used) {
		if (++spins == VIRTQ_POLL_LIMIT) {
			con_puts("virtio-blk: no completion for the read "
				 "request\r\n");
			return -1;
		}
		arch_relax();
	}
	arch_mb();
	slot = vq->last_used % vq->size;
	vq->last_used = (uint16_t)(vq->last_used + 1);

	if (vq->used->ring[slot].id != 0) {
		con_puts("virtio-blk: completion for an unknown descriptor "
			 "chain\r\n");
		return -1;
	}
	if (req_status != VIRTIO_BLK_S_OK) {
		con_puts("virtio-blk: read failed, status ");
		con_put_dec(req_status);
		con_puts("\r\n");
		return -1;
	}
	return 0;
}
