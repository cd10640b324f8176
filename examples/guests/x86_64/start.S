/*
 * Multiboot (v1) entry. QEMU's -kernel loads a 32-bit ELF carrying this
 * header through its multiboot option ROM and enters _start in flat 32-bit
 * protected mode with paging and interrupts off, EAX = 0x2badb002 and EBX =
 * the multiboot information.
 */
	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 0x00000003	/* page-align modules, want memory info */

	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.text
	.globl	_start
_start:
	cli
	cld
	movl	$stack_top, %esp

	/* Clear .bss without touching EAX/EBX, which carry the boot state. */
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	shrl	$2, %ecx
	movl	%eax, %edx
	xorl	%eax, %eax
	rep stosl
	movl	%edx, %eax

	pushl	%ebx
	pushl	%eax
	call	x86_main
1:	hlt
	jmp	1b

	/* In .bss so the loader counts it and puts the multiboot data beyond. */
	.section .bss
	.balign	16
	.skip	0x4000
stack_top:

	.section .note.GNU-stack, "", %progbits
