/* The floor for boot-time ratios: a PVH kernel whose first instruction ends
 * QEMU through isa-debug-exit with the pass code (status 33). Same loader path
 * as Warden (-kernel, PVH note), nothing else. Built by bench/meson.build. */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4, 8, 18              /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad empty_start
    .balign 4

    .text
    .code32
    .globl empty_start
empty_start:
    mov $0x10, %eax
    out %eax, $0xf4
1:  hlt
    jmp 1b
