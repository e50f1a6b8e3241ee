// The code a VMPL1 context runs in the emulated SNP host's VMPL images
// (tests/snp/vmpl1_guest.hpp copies these bytes into a page of its own; the
// code is position independent). RDI is the VMPL1 data page (Vmpl1Data):
// two RMPADJUSTs of the target page for VMPL2, their EAX stored; then, if a
// write target is named, a write there, and if a read target is named, a
// read there; then RUN_VMPL back (or, if asked to spin, a pause loop: a
// context at VMPL0 has no VMPL0 to go back to) to VMPL0 through
// the GHCB MSR protocol (request 0x016, VMPL 0 in bits 39:32; GHCB spec
// 2.3.1), and again from the top when VMPL0 runs VMPL1 once more.
    .section .rodata
    .globl vmpl1_stub_start, vmpl1_stub_end
vmpl1_stub_start:
1:  movq 0(%rdi), %rax          // target page, or 0: no RMPADJUSTs
    testq %rax, %rax
    jz 4f
    xorl %ecx, %ecx             // 4 KiB
    movq 8(%rdi), %rdx          // attributes: more than VMPL1 holds
    rmpadjust
    movq %rax, 32(%rdi)
    movq 0(%rdi), %rax
    xorl %ecx, %ecx
    movq 16(%rdi), %rdx         // attributes: less than VMPL1 holds
    rmpadjust
    movq %rax, 40(%rdi)
4:  movq 24(%rdi), %rax         // the page to write, or 0
    testq %rax, %rax
    jz 2f
    movq $1, (%rax)
2:  movq 56(%rdi), %rax         // the page to read, or 0
    testq %rax, %rax
    jz 3f
    movq (%rax), %rax
3:  incq 48(%rdi)               // runs completed
    cmpq $0, 64(%rdi)           // spin instead of asking for VMPL0?
    jne 5f
    movl $0xc0010130, %ecx      // the GHCB MSR
    movl $0x016, %eax
    xorl %edx, %edx
    wrmsr
    rep; vmmcall                // VMGEXIT
    jmp 1b
5:  pause
    jmp 5b
vmpl1_stub_end:
