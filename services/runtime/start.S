/* A service's first instruction: the kernel enters here at CPL3 with RSP at
 * the top of the task's stack. main's return value is the exit code. */
    .section .text.start, "ax"
    .globl _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    call service_start
    mov %rax, %rdi
    mov $2, %eax                    /* Sys::kExit */
    syscall
    ud2
