/* The firmware image's reset stub: the first code of the VM when Warden is
 * QEMU's -bios (docs/firmware.md). It occupies the image's last 4 KiB,
 * 0xFFFFF000..0xFFFFFFFF; tools/make_firmware.py writes the parameter block
 * at its start and the kernel's flat image below it.
 *
 * Real mode at 0xFFFFFFF0 -> a flat 32-bit GDT (in ROM, Accessed bits preset:
 * the CPU must never write it) -> copy the kernel from ROM to its link
 * address, zero what follows it -> fw_start32 in the kernel (entry_pvh.S),
 * with the reset TSC in ESI (low) and EDI (high). On the way: A20 on, caches
 * on, MTRR default type write-back (what SeaBIOS would have done). One kernel, two entries:
 * nothing of the kernel is duplicated here. */
#define STUB_BASE 0xfffff000
#define ROM_SEG   0xffff0000            /* CS base at reset */

    .section .reset, "ax"
    .code16
/* Parameter block (written by make_firmware.py; all u32). */
params:
    .ascii "WFW1"                       /* +0 magic */
params_src:   .long 0                   /* +4 ROM address of the kernel's flat image */
params_dst:   .long 0                   /* +8 its link (physical) address */
params_copy:  .long 0                   /* +12 bytes to copy, a multiple of 4 */
params_zero:  .long 0                   /* +16 bytes to zero after them, a multiple of 4 */
params_entry: .long 0                   /* +20 fw_start32 */
    .balign 16

rom_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff            /* 0x08: 32-bit code, flat, accessed */
    .quad 0x00cf93000000ffff            /* 0x10: data, flat, accessed */
rom_gdt_end:
rom_gdt_ptr:
    .word rom_gdt_end - rom_gdt - 1
    .long rom_gdt

reset16:
    cli
    cld
    rdtsc                               /* boot_us counts from here on this path */
    mov %eax, %ebp                      /* no stack is used: EBP and ESP hold the TSC */
    mov %edx, %esp
    in $0x92, %al                       /* fast A20 on: the kernel's addresses have bit 20 set */
    or $2, %al
    and $0xfe, %al                      /* bit 0 would reset the CPU */
    out %al, $0x92
    lgdtl %cs:(rom_gdt_ptr - ROM_SEG)
    mov %cr0, %eax
    and $0x9fffffff, %eax               /* caches on: CD and NW are set at reset */
    or $1, %eax                         /* PE */
    mov %eax, %cr0
    ljmpl $0x08, $stub32

    .code32
stub32:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    /* With MTRRs off every access is uncached: default type write-back,
     * enabled (SDM 12.11.2.1; MSR 0x2ff), where CPUID.1:EDX.MTRR says the
     * MSR exists. No SeaBIOS runs to do it on this path. */
    mov $1, %eax
    cpuid
    bt $12, %edx
    jnc 1f
    mov $0x2ff, %ecx
    mov $0x806, %eax
    xor %edx, %edx
    wrmsr
1:
    mov params_src, %esi
    mov params_dst, %edi
    mov params_copy, %ecx
    shr $2, %ecx
    rep movsl
    xor %eax, %eax
    mov params_zero, %ecx
    shr $2, %ecx
    rep stosl
    mov %ebp, %esi
    mov %esp, %edi
    jmp *params_entry

/* The reset vector: 16 bytes below 4 GiB, CS base 0xFFFF0000, IP 0xFFF0. */
    .org 0xff0
    .code16
    jmp reset16
    .org 0x1000, 0xf4                   /* hlt padding up to 4 GiB */
