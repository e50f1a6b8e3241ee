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
 * nothing of the kernel is duplicated here.
 * Before it copies, the stub checks that the VM has RAM up to the end of the kernel's
 * memory image; if not, it says so on COM1 and ends QEMU with the fail status, for a
 * copy into missing RAM would jump to nothing and hang. */
#define STUB_BASE 0xfffff000
#define ROM_SEG   0xffff0000            /* CS base at reset */
#define COM1      0x3f8
#define EXIT_PORT 0xf4                  /* isa-debug-exit; 0x11 is the kernel's fail code (status 35) */
#define FW_CFG_SELECTOR  0x510          /* QEMU docs/specs/fw_cfg.rst */
#define FW_CFG_DATA      0x511
#define FW_CFG_SIGNATURE 0x0000         /* "QEMU" */
#define FW_CFG_RAM_SIZE  0x0003         /* u64, little endian: the VM's RAM in bytes */

/* No stack in this file: no RAM may exist yet. These macros use registers only.
 * putc_al: AL to COM1 once its transmitter holds nothing (LSR bit 5); clobbers AH, DX. */
.macro putc_al
    mov %al, %ah
    mov $COM1 + 5, %dx
77: in %dx, %al
    test $0x20, %al
    jz 77b
    mov $COM1, %dx
    mov %ah, %al
    out %al, %dx
.endm
/* puts STR: a NUL-terminated string from ROM; clobbers EAX, EDX, ESI. */
.macro puts str
    mov $\str, %esi
78: lodsb
    test %al, %al
    jz 79f
    putc_al
    jmp 78b
79:
.endm
/* putdec REG: REG (below 10000) in decimal; clobbers EAX, EBX, ECX, EDX, ESI, EDI. */
.macro putdec reg
    mov \reg, %eax
    mov $decimal_places, %edi
    xor %ebx, %ebx                      /* a digit was printed */
80: mov (%edi), %ecx
    xor %edx, %edx
    div %ecx                            /* EAX = this digit, EDX = what remains */
    mov %edx, %esi
    or %eax, %ebx
    jnz 81f
    cmp $1, %ecx                        /* leading zeros are not printed, a lone 0 is */
    jne 82f
81: add $'0', %al
    putc_al
82: mov %esi, %eax
    add $4, %edi
    cmp $1, %ecx
    jne 80b
.endm
/* fw_cfg_read32 REG: the next four bytes of the selected fw_cfg item, little endian; clobbers AL, DX. */
.macro fw_cfg_read32 reg
    mov $FW_CFG_DATA, %dx
    .rept 4
    in %dx, %al
    mov %al, %\reg\()l
    ror $8, %e\reg\()x
    .endr
.endm

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

    .globl reset16                      /* reset.ld's ENTRY */
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
    /* RAM for the image? EBP and ESP hold the TSC: everything else is free here. */
    mov $FW_CFG_SELECTOR, %dx
    mov $FW_CFG_SIGNATURE, %ax
    out %ax, %dx
    fw_cfg_read32 b
    cmp $0x554d4551, %ebx               /* "QEMU" */
    jne no_fw_cfg
    mov $FW_CFG_SELECTOR, %dx
    mov $FW_CFG_RAM_SIZE, %ax
    out %ax, %dx
    fw_cfg_read32 b                     /* EBX = low half of the RAM size */
    fw_cfg_read32 c                     /* ECX = high half: any is enough */
    mov params_dst, %eax
    add params_copy, %eax
    add params_zero, %eax               /* EAX = end of the kernel's memory image */
    test %ecx, %ecx
    jnz 2f
    cmp %eax, %ebx
    jb too_little_ram
2:
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

/* EBX = RAM in bytes, EAX = the bytes the image needs: one line on COM1, then QEMU
 * ends with the fail status (where there is no isa-debug-exit, the CPU halts). */
too_little_ram:
    add $0xfffff, %eax
    shr $20, %eax
    mov %eax, %ebp                      /* MiB needed, rounded up */
    shr $20, %ebx
    mov %ebx, %esp                      /* MiB the VM has (no stack is used) */
    puts msg_ram_1
    putdec %esp
    puts msg_ram_2
    mov params_dst, %eax
    shr $20, %eax
    putdec %eax
    puts msg_ram_3
    putdec %ebp
    puts msg_ram_4
    putdec %ebp
    puts msg_ram_5
    jmp fail
no_fw_cfg:
    puts msg_no_fw_cfg
fail:
    mov $EXIT_PORT, %dx
    mov $0x11, %al
    out %al, %dx
3:  hlt
    jmp 3b

decimal_places: .long 1000, 100, 10, 1
msg_ram_1: .asciz "error: cannot boot: the VM has "
msg_ram_2: .asciz " MiB of RAM; Warden's firmware image loads at "
msg_ram_3: .asciz " MiB and needs at least "
msg_ram_4: .asciz " MiB (QEMU -m "
msg_ram_5: .asciz "M)\r\n"
msg_no_fw_cfg: .asciz "error: cannot boot: no QEMU fw_cfg device (signature \"QEMU\" at selector 0): the firmware image needs it\r\n"

/* The reset vector: 16 bytes below 4 GiB, CS base 0xFFFF0000, IP 0xFFF0. */
    .org 0xff0
    .code16
    jmp reset16
    .org 0x1000, 0xf4                   /* hlt padding up to 4 GiB */
