/* The kernel's three entries.
 *
 * PVH: QEMU (-kernel) or a PVH loader jumps to pvh_start32 in 32-bit
 * protected mode, paging off, EBX = physical address of hvm_start_info
 * (Xen public/arch-x86/hvm/start_info.h). We record the entry TSC, build a
 * boot page table (identity map of the low 4 GiB and the kernel's higher-half
 * alias of the low 1 GiB, 2 MiB pages), enter long mode and jump to the
 * higher half.
 *
 * IGVM (SEV-SNP): the VMSA warden-igvm builds starts igvm_start64 in 64-bit
 * mode on the packer's page tables, RBX = GPA of the boot block
 * (lib/warden/igvm/boot_block.hpp). Those tables map the SVSM memory only,
 * identity and at the image's link addresses + KERNEL_VMA; the image's pages
 * are not where it was linked (its link addresses are at 32 MiB, its pages
 * at the SVSM memory's base, 512 GiB by default), so this path reaches the
 * .boot sections through their KERNEL_VMA alias only, never at their link
 * addresses. It loads the boot GDT and joins the PVH path.
 *
 * Firmware (-bios): firmware/reset.S runs at the reset vector, copies the
 * image from ROM to its link address and jumps to fw_start32, which joins
 * the PVH path without a start_info.
 *
 * All then zero .bss and call kernel_main(boot_arg, entry_tsc, boot_kind). */

#define KERNEL_VMA      0xffffffff80000000
#define CR0_PG          (1 << 31)
#define CR4_PAE         (1 << 5)
#define MSR_EFER        0xc0000080
#define EFER_LME        (1 << 8)
#define PTE_P           (1 << 0)
#define PTE_W           (1 << 1)
#define PTE_PS          (1 << 7)
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define BOOT_STACK_SIZE (16 * 1024)

/* An ELF note whose descriptor is an entry address, 8 bytes: QEMU reads the
 * Xen one as 64-bit for an ELF64; warden-igvm and make_firmware.py read theirs
 * the same way. namesz counts the NUL. */
.macro entry_note section, name, namesz, type, entry
    .section \section, "a", @note
    .balign 4
    .long \namesz
    .long 8                         /* descsz */
    .long \type
    .asciz "\name"
    .balign 4
    .quad \entry
    .balign 4
.endm

    entry_note .note.Xen, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, pvh_start32
    entry_note .note.igvm, "WardenIGVM", 11, 1, igvm_start64   /* type 1: the 64-bit IGVM entry */
    entry_note .note.fw, "WardenFW", 9, 1, fw_start32          /* type 1: the 32-bit firmware entry */

    .section .boot.text, "ax"
    .code32
    .globl pvh_start32
pvh_start32:
    cli
    cld
    rdtsc                           /* boot_us counts from here */
    mov %eax, boot_entry_tsc
    mov %edx, boot_entry_tsc + 4
    mov %ebx, boot_start_info
    jmp boot32_common

/* Firmware (-bios): firmware/reset.S copied the image here and comes in
 * flat 32-bit protected mode, paging off, with the reset TSC in ESI:EDI.
 * No start_info: the kernel reads fw_cfg instead. */
    .globl fw_start32
fw_start32:
    cli
    cld
    mov %esi, boot_entry_tsc
    mov %edi, boot_entry_tsc + 4
    movl $2, boot_kind              /* BootKind::kFirmware */
boot32_common:

    /* Zero the three table pages that are not filled entry by entry. */
    xor %eax, %eax
    mov $boot_pml4, %edi
    mov $(3 * 4096 / 4), %ecx
    rep stosl

    /* PD0..PD3: 2048 entries of 2 MiB identity-mapping 0..4 GiB. */
    mov $boot_pd, %edi
    mov $(PTE_P | PTE_W | PTE_PS), %eax
    xor %edx, %edx                  /* high half of each address */
    mov $2048, %ecx
1:  mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %edi
    loop 1b

    /* Low PDPT: four 1 GiB slots pointing at PD0..PD3. */
    mov $boot_pdpt_low, %edi
    mov $boot_pd + (PTE_P | PTE_W), %eax
    mov $4, %ecx
2:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 2b

    /* High PDPT slot 510 (0xffffffff80000000) shares PD0: image alias. */
    movl $boot_pd + (PTE_P | PTE_W), boot_pdpt_high + 510 * 8
    movl $boot_pdpt_low + (PTE_P | PTE_W), boot_pml4
    movl $boot_pdpt_high + (PTE_P | PTE_W), boot_pml4 + 511 * 8

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $CR0_PG, %eax
    mov %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $long_mode_low

    .code64
long_mode_low:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $long_mode_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .balign 16
/* Flat long-mode GDT, in RAM on every path (the firmware stub's own GDT is
 * the one in ROM). Accessed bits are preset all the same. */
boot_gdt:
    .quad 0
    .quad 0x00af9b000000ffff        /* 0x08: 64-bit code, DPL0 */
    .quad 0x00cf93000000ffff        /* 0x10: data, DPL0 */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt
boot_gdt_ptr_high:                  /* the IGVM path's: the GDT at its alias */
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt + KERNEL_VMA
    .balign 8
    .globl boot_entry_tsc
boot_entry_tsc:
    .quad 0
boot_start_info:
    .quad 0
boot_kind:
    .quad 0                         /* 0 PVH, 1 IGVM, 2 firmware (kernel/boot/boot_info.hpp) */

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096

    .section .boot_stack, "aw", @nobits
    .balign 4096
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .text
    .code64
    .globl igvm_start64
igvm_start64:
    cli
    cld
    rdtsc
    movabs $boot_entry_tsc + KERNEL_VMA, %rdi
    mov %eax, (%rdi)
    mov %edx, 4(%rdi)
    movabs $boot_start_info + KERNEL_VMA, %rdi
    mov %rbx, (%rdi)
    movabs $boot_kind + KERNEL_VMA, %rdi
    movq $1, (%rdi)
    movabs $boot_gdt_ptr_high + KERNEL_VMA, %rax
    lgdt (%rax)
    /* The VMSA gives no stack (RSP 0): a push now would write 0xffff...fff8,
     * which the entry tables do not map, and with no IDT yet the vCPU
     * triple-faults (found by the emulated SNP host, docs/snp-host.md). */
    movabs $boot_stack_top, %rsp
    pushq $0x08                     /* into the boot GDT's code segment, on */
    movabs $long_mode_low + KERNEL_VMA, %rax  /* the PVH path's code, at its alias */
    push %rax
    lretq

long_mode_high:
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    /* Zero .bss (the stack lives outside it). */
    movabs $__bss_start, %rdi
    movabs $__bss_end, %rcx
    sub %rdi, %rcx
    xor %eax, %eax
    rep stosb
    /* Stack-protector guard: TSC-derived, set before any protected frame exists. */
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    movabs $0x57415244454e2121, %rdx
    xor %rdx, %rax
    movabs $__stack_chk_guard, %rdx
    mov %rax, (%rdx)

    movabs $boot_start_info + KERNEL_VMA, %rdi
    mov (%rdi), %rdi                /* arg 0: start_info or boot block physical address */
    movabs $boot_entry_tsc + KERNEL_VMA, %rsi
    mov (%rsi), %rsi                /* arg 1: TSC at entry */
    movabs $boot_kind + KERNEL_VMA, %rdx
    mov (%rdx), %rdx                /* arg 2: which entry */
    call kernel_main
3:  cli
    hlt
    jmp 3b
