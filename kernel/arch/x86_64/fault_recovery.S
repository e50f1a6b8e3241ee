/* Saved contexts for run_catching_faults (fault_recovery.cpp), and
 * call_on_stack. A JumpContext holds the callee-saved registers, the stack
 * pointer and the resume address: System V AMD64 ABI 3.2.1. */

    .text
    .globl fault_context_save
/* int fault_context_save(JumpContext* ctx): returns 0, and 1 when resumed. */
fault_context_save:
    mov %rbx, 0(%rdi)
    mov %rbp, 8(%rdi)
    mov %r12, 16(%rdi)
    mov %r13, 24(%rdi)
    mov %r14, 32(%rdi)
    mov %r15, 40(%rdi)
    lea 8(%rsp), %rdx           /* the caller's stack pointer after ret */
    mov %rdx, 48(%rdi)
    mov (%rsp), %rdx            /* the return address */
    mov %rdx, 56(%rdi)
    xor %eax, %eax
    ret

    .globl fault_context_resume
/* [[noreturn]] void fault_context_resume(const JumpContext* ctx) */
fault_context_resume:
    mov 0(%rdi), %rbx
    mov 8(%rdi), %rbp
    mov 16(%rdi), %r12
    mov 24(%rdi), %r13
    mov 32(%rdi), %r14
    mov 40(%rdi), %r15
    mov 48(%rdi), %rsp
    mov $1, %eax
    jmp *56(%rdi)

    .globl call_on_stack
/* void call_on_stack(void (*fn)(void*), void* arg, uint64_t stack_top) */
call_on_stack:
    push %rbp
    mov %rsp, %rbp
    mov %rdx, %rsp
    mov %rdi, %rax
    mov %rsi, %rdi
    call *%rax
    mov %rbp, %rsp
    pop %rbp
    ret
