/* Kernel context switch between tasks (each on its own kernel stack), the
 * first entry into a task at CPL3, and the SYSCALL entry point. */

    .text
    .globl switch_context
/* void switch_context(uint64_t* save_rsp, uint64_t next_rsp)
 * Saves the callee-saved registers on the current stack, stores RSP, and
 * resumes the other context where it saved its own. */
switch_context:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .globl enter_user_first_time
/* A new task's kernel stack returns here from switch_context, with an IRET
 * frame (RIP, CS, RFLAGS, RSP, SS) on top. */
enter_user_first_time:
    xor %eax, %eax                  /* no kernel value leaks into the task */
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    swapgs
    iretq

    .globl syscall_entry
/* SYSCALL (AMD APM Vol. 2 6.1.1): RCX = user RIP, R11 = user RFLAGS, IF
 * cleared by FMASK, still on the user stack with the user's GS. The per-CPU
 * area gives the kernel stack (GS:32) and a scratch word (GS:8). */
syscall_entry:
    swapgs
    mov %rsp, %gs:8
    mov %gs:32, %rsp
    pushq %gs:8                     /* SyscallFrame, see syscall.cpp */
    push %r9                        /* caller-saved registers survive a system call */
    push %rcx
    push %r11
    push %r8
    push %r10
    push %rdx
    push %rsi
    push %rdi
    push %rax
    mov %rsp, %rdi
    call syscall_dispatch           /* returns the result in RAX */
    cli                             /* a call may have run with interrupts on: none may */
                                    /* arrive on the user stack or with the user GS below */
    add $8, %rsp                    /* number */
    pop %rdi
    pop %rsi
    pop %rdx
    pop %r10
    pop %r8
    pop %r11
    pop %rcx
    pop %r9
    pop %rsp                        /* user stack; nothing runs on it in CPL0 */
    swapgs
    sysretq
