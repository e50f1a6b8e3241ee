// A VMPL2 guest's SVSM calls for the request-loop image (request_loop_image.cpp
// copies these bytes into a page of its own; position independent). RDI is
// the data page; at 128 the Calling Area's GPA. The call as SPEC-FACTS 7 and
// Linux make it: call_pending = 1 in the Calling Area, the GHCB MSR set to
// RUN_VMPL of VMPL0 (request 0x016, GHCB spec 2.3.1) first, since WRMSR
// takes RAX, RCX and RDX, then RAX = (protocol << 32) | call and the
// arguments, then VMGEXIT. First QUERY_PROTOCOL for core version 1 (RAX,
// RCX and call_pending stored after), then the same call made ready but
// left by HLT with IF=0 instead of VMGEXIT (the host switches to VMPL0 at
// VMPL0's next interrupt, as a physical interrupt does between the guest's
// write of call_pending and its VMGEXIT: not a request, so RAX and
// call_pending stay; stored after), then its VMGEXIT (served: RAX and
// call_pending stored after), then a switch to VMPL0 without call_pending
// (RAX 0x1234 stored after: not a call, so untouched), then the same
// no-call switch for ever, counted, so VMPL0 keeps getting its turn.
    .section .rodata
    .globl svsm_call_stub_start, svsm_call_stub_end
svsm_call_stub_start:
    movq 128(%rdi), %rbx        // the Calling Area
    movb $1, (%rbx)             // call_pending
    movl $0xc0010130, %ecx      // the GHCB MSR
    movl $0x016, %eax           // RUN_VMPL, VMPL 0 in bits 39:32
    xorl %edx, %edx
    wrmsr
    movq $6, %rax               // protocol 0 (core), call 6 QUERY_PROTOCOL
    movq $1, %rcx               // protocol 0, version 1
    xorl %edx, %edx
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    rep; vmmcall                // VMGEXIT
    movq %rax, 136(%rdi)        // the result code
    movq %rcx, 144(%rdi)        // (max << 32) | min
    movzbq (%rbx), %rax
    movq %rax, 152(%rdi)        // call_pending as VMPL0 left it
    movb $1, (%rbx)             // the same call, ready ...
    movl $0xc0010130, %ecx
    movl $0x016, %eax
    xorl %edx, %edx
    wrmsr
    movq $6, %rax
    movq $1, %rcx
    cli
    hlt                         // ... but VMPL0 runs on its interrupt, no VMGEXIT
    movq %rax, 176(%rdi)        // RAX after the HLT: as sent
    movzbq (%rbx), %rdx
    movq %rdx, 184(%rdi)        // call_pending after the HLT: still 1
    rep; vmmcall                // the GHCB MSR still asks RUN_VMPL 0: the call
    movq %rax, 192(%rdi)
    movzbq (%rbx), %rdx
    movq %rdx, 200(%rdi)
    movl $0xc0010130, %ecx
    movl $0x016, %eax
    xorl %edx, %edx
    wrmsr
    movq $0x1234, %rax          // no call_pending: not a call
    rep; vmmcall
    movq %rax, 160(%rdi)
1:  incq 168(%rdi)              // no-call switches so far
    movl $0xc0010130, %ecx
    movl $0x016, %eax
    xorl %edx, %edx
    wrmsr
    rep; vmmcall
    jmp 1b
svsm_call_stub_end:
