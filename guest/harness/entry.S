/* The harness guest's entry, exception stubs and the parked vCPU's code
 * (docs/harness-guest.md). The loader enters harness_entry in 64-bit mode at
 * the guest's VMPL, CPL0, interrupts off, on page tables of its own that map
 * the image and the boot page (RDI) identically with the C-bit. The image
 * header comes first (lib/warden/svsm/guest_entry.hpp). */
#include "baremetal/exception_frame.inc"

#define VCPU_AREA_SIZE 0x11000      /* vcpu.hpp kVcpuAreaSize */
#define MAX_VCPUS 8                 /* vcpu.hpp kMaxVcpus */
#ifndef SCRATCH_SIZE                /* the bench image asks for more (meson.build) */
#define SCRATCH_SIZE 0x400000       /* vcpu.hpp kScratchSize: 4 MiB of unvalidated RAM */
#endif

    .section .header, "a"
    .balign 8
    .long 0x54534757                /* "WGST" */
    .long 1                         /* version */
    .quad __image_start             /* load GPA */
    .quad __file_size
    .quad __memory_size
    .quad harness_entry
    .quad SCRATCH_SIZE
    .long MAX_VCPUS
    .long 0
    .quad 0

    .text
    .globl harness_entry
harness_entry:
    cli
    cld
    mov 8(%rdi), %eax               /* boot page: vcpu_index */
    cmp $MAX_VCPUS, %eax
    jae 9f
    imul $VCPU_AREA_SIZE, %rax
    lea vcpu_areas(%rip), %rsp
    add %rax, %rsp
    add $VCPU_AREA_SIZE, %rsp       /* the stack is the area's last pages */
    xor %ebp, %ebp
    call harness_main               /* (boot page GPA in RDI); never returns */
9:  mov $0xc0010130, %ecx           /* no room for this vCPU: terminate, reason set 0 code 0 */
    mov $0x100, %eax
    xor %edx, %edx
    wrmsr
    rep; vmmcall
    jmp 9b

/* Exceptions: {r15..rax, vector, error, rip, cs, rflags, rsp, ss} for
 * harness_exception (vc.cpp), which serves a #VC and terminates on the rest. */
    exception_stubs
isr_common:
    push_gprs
    mov %rsp, %rdi
    mov %rsp, %rbx
    and $-16, %rsp
    call harness_exception
    mov %rbx, %rsp
    pop_gprs
    add $16, %rsp                   /* vector, error code */
    iretq

    exception_table

/* External interrupts (IDT gates 0x20-0x2f, boot.cpp): no error code; the
 * caller-saved registers around harness_irq (irq_checks.cpp), then IRET. */
    .text
    .globl irq_stub
irq_stub:
    push %rax
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    push %rbx
    mov %rsp, %rbx
    and $-16, %rsp
    call harness_irq
    mov %rbx, %rsp
    pop %rbx
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rax
    iretq

/* uint64_t probe_read(uint64_t va): one load; a #VC 0x404 at probe_load
 * (the page is not validated) resumes at probe_done with RAX = the
 * sentinel (vc.cpp). */
    .text
    .globl probe_read, probe_load, probe_done
probe_read:
probe_load:
    mov (%rdi), %rax
probe_done:
    ret

/* What a vCPU the harness creates with CREATE_VCPU runs, should the SVSM
 * start it: no memory touched, only RUN_VMPL back to VMPL0 through the GHCB
 * MSR protocol (request 0x016, VMPL 0 in bits 39:32), forever. */
    .globl harness_parked
harness_parked:
    mov $0xc0010130, %ecx
    mov $0x016, %eax
    xor %edx, %edx
    wrmsr
    rep; vmmcall
    jmp harness_parked

    .section .note.GNU-stack, "", @progbits
