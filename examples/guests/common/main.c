/*
 * What every demo guest does once its console works: find the virtio block
 * device, read sector 0 of the root disk, check the label the demo rootfs
 * images carry there, print a verdict the pipeline's patterns recognise and
 * power the machine off.
 */
#include "guest.h"

#define LABEL_MAX 128
#define LABEL_PREFIX "bootpipe-demo-rootfs"

static struct virtq blk_vq;
static uint8_t sector0[512] __attribute__((aligned(512)));

static void fail(const char *why) __attribute__((noreturn));

static void fail(const char *why)
{
	con_puts("panic: ");
	con_puts(why);
	con_puts("\r\n");
	platform_poweroff();
}

/* Copies the NUL-terminated label, replacing what a console cannot show. */
static size_t label_extract(char *out, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap && n < sizeof(sector0) && sector0[n] != 0) {
		uint8_t c = sector0[n];

		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[n] = 0;
	return n;
}

static int has_prefix(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

void guest_main(void)
{
	char label[LABEL_MAX + 1];
	uint64_t sectors = 0;

	con_puts("\r\nbootpipe demo guest ");
	con_puts(guest_arch);
	con_puts(" 0.1.0\r\n");
	platform_report();

	if (platform_blk_init(&blk_vq, &sectors) < 0)
		fail("no usable virtio block device");
	con_puts("virtio-blk: capacity ");
	con_put_dec((uint32_t)(sectors >> 11));
	con_puts(" MiB (");
	con_put_hex(sectors);
	con_puts(" sectors)\r\n");

	if (virtio_blk_read(&blk_vq, 0, sector0) < 0)
		fail("cannot read sector 0 of the root disk");

	if (label_extract(label, sizeof(label)) == 0)
		con_puts("rootfs label: (none)\r\n");
	else {
		con_puts("rootfs label: ");
		con_puts(label);
		con_puts("\r\n");
	}

	if (!has_prefix(label, LABEL_PREFIX))
		fail("unexpected rootfs label");
	con_puts("guest test pass!\r\n");
	con_puts("powering off\r\n");
	platform_poweroff();
}
