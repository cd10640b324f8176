/*
 * Entry for QEMU virt. Starts with an arm64 Image header so the raw binary
 * is loaded like a Linux Image (text_offset 0x80000 from the RAM base), and
 * works the same when QEMU loads the ELF directly.
 */
	.section .text.head, "ax"
	.globl _start
_start:
	b	entry			/* code0 */
	.long	0			/* code1 */
	.quad	0x80000			/* text_offset */
	.quad	__image_size		/* image_size, including .bss and stack */
	.quad	0x2			/* flags: little endian, 4K pages */
	.quad	0, 0, 0			/* res2..res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5 */

entry:
	/* Only CPU 0 runs the demo; the others (if PSCI did start them) park. */
	mrs	x1, mpidr_el1
	and	x1, x1, #0xff
	cbnz	x1, park

	ldr	x1, =stack_top
	mov	sp, x1

	/* The raw binary does not carry .bss: clear it. */
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:
	bl	aarch64_main
park:
	wfe
	b	park

	/* In .bss so image_size covers it; cleared above before first use. */
	.section .bss
	.balign	16
	.skip	0x4000
stack_top:

	.section .note.GNU-stack, "", %progbits
