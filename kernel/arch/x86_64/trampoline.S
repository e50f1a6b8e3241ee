/* AP start-up trampoline (SDM Vol. 3A 9.4.4 and 10.4 for the mode switches).
 * Copied by smp.cpp to kTrampolinePhys (below 1 MiB, page aligned) and run
 * by each AP from its SIPI in 16-bit real mode: protected mode on the
 * trampoline's GDT, then PAE paging on the kernel's own PML4 (which maps
 * this page 1:1, read-only and executable, while APs start), then long mode,
 * then a jump to ap_entry(index) in the higher half on the AP's own stack.
 * The parameters at the end are written by the BSP before each SIPI. */

#define BASE 0x8000
#define T(label) (BASE + (label) - trampoline_start)

    .section .rodata
    .balign 16
    .globl trampoline_start, trampoline_end, trampoline_params
trampoline_start:
    .code16
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl T(tramp_gdt_ptr)
    mov %cr0, %eax
    or $1, %eax                     /* CR0.PE */
    mov %eax, %cr0
    ljmpl $0x08, $T(tramp_pm32)

    .code32
tramp_pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    movl $1, T(p_started)           /* paging is off: this page is writable */
    mov T(p_cr4), %eax
    mov %eax, %cr4
    mov T(p_cr3), %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx           /* EFER: LME and NXE as on the BSP */
    mov T(p_efer), %eax
    xor %edx, %edx
    wrmsr
    mov T(p_cr0), %eax
    mov %eax, %cr0
    ljmp $0x18, $T(tramp_lm64)

    .code64
tramp_lm64:
    mov T(p_stack), %rsp
    mov T(p_index), %rdi
    mov T(p_entry), %rax
    xor %ebp, %ebp
    jmp *%rax

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff        /* 0x08: 32-bit code (accessed bit preset) */
    .quad 0x00cf93000000ffff        /* 0x10: data */
    .quad 0x00af9b000000ffff        /* 0x18: 64-bit code */
tramp_gdt_end:
tramp_gdt_ptr:
    .word tramp_gdt_end - tramp_gdt - 1
    .long T(tramp_gdt)

    .balign 8
trampoline_params:
p_cr3:      .quad 0
p_cr4:      .quad 0
p_cr0:      .quad 0
p_efer:     .quad 0
p_stack:    .quad 0
p_entry:    .quad 0
p_index:    .quad 0
p_started:  .quad 0
trampoline_end:
