/* Interrupt and exception entry stubs. Each of the 256 vectors pushes a zero
 * where the CPU pushes no error code, then its vector number, and joins
 * isr_common, which saves the general registers as an InterruptFrame
 * (idt.hpp) and calls interrupt_dispatch(frame). Vectors with a CPU error
 * code: SDM Vol. 3A table 6-1 (8, 10-14, 17, 21, 29, 30). */
#include "baremetal/exception_frame.inc"


.altmacro

.macro ISR_STUB vector
    .balign 16
isr_stub_\vector:
    .if (\vector == 8) || (\vector >= 10 && \vector <= 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
    pushq $0
    .endif
    pushq $\vector
    jmp isr_common
.endm

.macro STUB_ADDRESS vector
    .quad isr_stub_\vector
.endm

    .text
    .globl isr_common
isr_common:
    cld
    testb $3, 24(%rsp)              /* CS of the interrupted code: from a task? */
    jz 1f
    swapgs                          /* then GS holds the task's base: take the kernel's */
1:
    push_gprs
    mov %rsp, %rdi
    call interrupt_dispatch
    pop_gprs
    add $16, %rsp           /* vector and error code */
    testb $3, 8(%rsp)
    jz 2f
    swapgs
2:
    iretq

    .set i, 0
    .rept 256
    ISR_STUB %i
    .set i, i + 1
    .endr

    .section .rodata
    .balign 8
    .globl isr_stub_table
isr_stub_table:
    .set i, 0
    .rept 256
    STUB_ADDRESS %i
    .set i, i + 1
    .endr
