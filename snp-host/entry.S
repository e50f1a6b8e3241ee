/* The emulated SNP host's entry: firmware/reset.S copies the image to 1 MiB
 * and jumps to fw_start32 (32-bit protected mode, paging off, flat segments,
 * reset TSC in ESI:EDI). We enter long mode on a boot page table (the low
 * 4 GiB identity-mapped with 2 MiB pages) and call host_main(tsc); main.cpp
 * then loads the host's real page tables (per-section rights, guard page).
 * Also here: the exception stubs and the VMRUN world switch. */
#include "baremetal/exception_frame.inc"

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define EFER_SVME (1 << 12)

    .section .note.fw, "a", @note
    .balign 4
    .long 9                         /* namesz, with the NUL */
    .long 8                         /* descsz: the entry, 8 bytes (make_firmware.py) */
    .long 1                         /* type 1: the 32-bit firmware entry */
    .asciz "WardenFW"
    .balign 4
    .quad fw_start32
    .balign 4

    .section .entry32, "ax"
    .code32
    .globl fw_start32
fw_start32:
    cli
    cld
    mov %esi, boot_tsc
    mov %edi, boot_tsc + 4
    /* boot_pml4[0] -> boot_pdpt; boot_pdpt[0..3] -> boot_pd[0..3]; 2048 x 2 MiB identity. */
    mov $boot_pdpt + 3, %eax
    mov %eax, boot_pml4
    mov $boot_pdpt, %edi
    mov $boot_pd + 3, %eax
    mov $4, %ecx
1:  mov %eax, (%edi)
    add $4096, %eax
    add $8, %edi
    loop 1b
    mov $boot_pd, %edi
    mov $0x83, %eax                 /* P | W | PS */
    xor %edx, %edx
    mov $2048, %ecx
2:  mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %edi
    loop 2b
    lgdt boot_gdt_ptr
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE | EFER_SVME), %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_PE), %eax
    mov %eax, %cr0
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    lea __stack_top(%rip), %rsp
    xor %ebp, %ebp
    mov boot_tsc(%rip), %rdi
    call host_main
3:  cli
    hlt
    jmp 3b

    .section .rodata
    .balign 16
    .globl boot_gdt
boot_gdt:
    .quad 0
    .quad 0x00af9b000000ffff        /* 0x08: 64-bit code, accessed */
    .quad 0x00cf93000000ffff        /* 0x10: data, accessed */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

    .section .bss
    .balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096 * 4
    .globl boot_tsc
boot_tsc:  .skip 8

/* Exception stubs: a uniform frame {r15..rax, vector, error, rip, cs, rflags,
 * rsp, ss} for host_exception (idt.cpp), which reports it and ends QEMU. */
    .text
    exception_stubs
isr_common:
    push_gprs
    mov %rsp, %rdi
    and $-16, %rsp
    call host_exception
4:  cli
    hlt
    jmp 4b

    exception_table

/* void svm_run(uint64_t vmcb_pa, uint64_t host_save_pa, GuestGprs* gprs,
 *              uint64_t interruptible)
 * VMSAVE the host's hidden state (FS/GS/TR/LDTR, STAR...), VMLOAD the
 * guest's, VMRUN, VMSAVE the guest's, VMLOAD the host's. VMRUN/#VMEXIT swap
 * only RAX, RSP, RIP and RFLAGS: the other guest GPRs go through *gprs
 * (order: rbx rcx rdx rsi rdi rbp r8 .. r15, vcpu.hpp GuestGprs). */
    .text
    .globl svm_run
svm_run:
    push %rcx                       /* interruptible: VMRUN with the host's IF 1 */
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdx                       /* gprs */
    push %rdi                       /* vmcb */
    push %rsi                       /* host save area */
    mov %rsi, %rax
    vmsave
    mov 8(%rsp), %rax
    vmload
    mov 16(%rsp), %rax              /* gprs */
    mov 0(%rax), %rbx
    mov 8(%rax), %rcx
    mov 16(%rax), %rdx
    mov 24(%rax), %rsi
    mov 32(%rax), %rdi
    mov 40(%rax), %rbp
    mov 48(%rax), %r8
    mov 56(%rax), %r9
    mov 64(%rax), %r10
    mov 72(%rax), %r11
    mov 80(%rax), %r12
    mov 88(%rax), %r13
    mov 96(%rax), %r14
    mov 104(%rax), %r15
    mov 8(%rsp), %rax
    /* GIF 0 holds the host's interrupts; IF 1 lets a VMPL 1-3 context (its
     * V_INTR_MASKING set) be interrupted by a physical interrupt, which its
     * INTR intercept turns into a #VMEXIT (APM vol. 2 15.17, 15.21.1; as KVM's
     * svm_vcpu_enter_exit runs VMRUN between CLGI and STGI with IF 1). With
     * IF 0 they wait in the local APIC (vcpu.cpp: the context's slice). */
    clgi
    cmpq $0, 72(%rsp)
    je 1f
    sti
1:  vmrun
    .globl svm_run_resume           /* the RIP VMRUN saves for the host (vcpu.cpp host_state_saved) */
svm_run_resume:
    cli                             /* the host's RFLAGS.IF, restored by #VMEXIT, is 1 */
    /* #VMEXIT: RSP, RAX (= vmcb) and RIP are the host's again; GIF = 0. */
    mov 16(%rsp), %rax
    mov %rbx, 0(%rax)
    mov %rcx, 8(%rax)
    mov %rdx, 16(%rax)
    mov %rsi, 24(%rax)
    mov %rdi, 32(%rax)
    mov %rbp, 40(%rax)
    mov %r8, 48(%rax)
    mov %r9, 56(%rax)
    mov %r10, 64(%rax)
    mov %r11, 72(%rax)
    mov %r12, 80(%rax)
    mov %r13, 88(%rax)
    mov %r14, 96(%rax)
    mov %r15, 104(%rax)
    mov 8(%rsp), %rax
    vmsave
    mov 0(%rsp), %rax
    vmload
    add $24, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    add $8, %rsp                    /* interruptible */
    ret



/* The AP trampoline (smp.cpp copies it to kApTrampoline, 0x8000, before the
 * host's own page tables make that page RX): real mode at the SIPI vector ->
 * a flat 32-bit GDT -> long mode on the host's page tables (CR3 from the
 * parameter page at 0x9000) -> host_ap_main(index) on the AP's own stack.
 * Parameter page: +0 CR3, +8 stack top, +16 CPU index. */
#define AP_TRAMP 0x8000
#define AP_PARAMS 0x9000
    .section .rodata
    .code16
    .globl ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl (AP_TRAMP + ap_gdt_ptr - ap_trampoline_start)
    mov %cr0, %eax
    or $CR0_PE, %eax
    mov %eax, %cr0
    ljmpl $0x08, $(AP_TRAMP + ap_32 - ap_trampoline_start)
    .code32
ap_32:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov AP_PARAMS, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE | EFER_SVME), %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_PE), %eax
    mov %eax, %cr0
    ljmpl $0x18, $(AP_TRAMP + ap_64 - ap_trampoline_start)
    .code64
ap_64:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov (AP_PARAMS + 8), %rsp
    mov (AP_PARAMS + 16), %rdi
    xor %ebp, %ebp
    movabs $host_ap_main, %rax
    call *%rax
5:  cli
    hlt
    jmp 5b
    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff        /* 0x08: 32-bit code, accessed */
    .quad 0x00cf93000000ffff        /* 0x10: data, accessed */
    .quad 0x00af9b000000ffff        /* 0x18: 64-bit code, accessed */
ap_gdt_ptr:
    .word ap_gdt_ptr - ap_gdt - 1
    .long AP_TRAMP + ap_gdt - ap_trampoline_start
ap_trampoline_end:
    .section .note.GNU-stack, "", @progbits
