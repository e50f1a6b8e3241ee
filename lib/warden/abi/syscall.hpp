// The system-call ABI between the kernel and service tasks: numbers, the
// message format and the service manifest. Services see nothing else of the
// kernel (docs/ipc.md describes the semantics).
//
// Registers: RAX = number; arguments in RDI, RSI, RDX, R10, R8, R9; the result in
// RAX: >= 0 success (a value), < 0 minus an Error (result.hpp). RCX and R11
// are clobbered by SYSCALL itself.
#pragma once

#include <span>

#include "warden/result.hpp"

namespace warden::abi {

enum class Sys : uint64_t {
    kLog = 1,      // (const char* text, size_t len)
    kExit = 2,     // (int64_t code)                                   no return
    kYield = 3,    // ()
    kSend = 4,     // (handle, const Message*)                         kBusy when the queue is full
    kReceive = 5,  // (handle, Message* out, timeout_ms)               kTimedOut
    // A call may lend the server `lend_size` bytes of the caller's memory
    // at `lend` (writable task memory, checked whole at the call; at most
    // kMaxLend; 0: none) for as long as the call lasts: the server reads and
    // writes them through its reply right (kLentRead, kLentWrite) until it
    // replies, or the caller gives up or ends.
    kCall = 6,        // (handle, const Message* in, Message* out, timeout_ms, void* lend, lend_size)
    kReply = 7,       // (reply_token, const Message*)
    kIoIn = 8,        // (port, width 1|2|4)                              kDenied unless granted
    kIoOut = 9,       // (port, width, value)
    kDmaBuffer = 10,  // (pages <= 16, uint64_t* phys_out) -> task address of a RW, NX buffer; 4 per task
    kTicks = 11,      // () -> timer ticks of this CPU (100 Hz)
    // The guest, as the SVSM sees it (docs/svsm.md). kGuestInfo for tasks
    // with kManifestGuest or kManifestSvsm; the rest for kManifestSvsm only
    // (kDenied otherwise). Every GPA must lie in guest memory (kOutOfRange)
    // and, but for kVcpuDelete's, in the guest's hands (kDenied).
    kGuestInfo = 12,       // (GuestInfo* out)
    kGuestRead = 13,       // (gpa, void* out, len <= kMaxGuestCopy)
    kGuestWrite = 14,      // (gpa, const void* in, len <= kMaxGuestCopy)
    kGuestPvalidate = 15,  // (gpa, huge, validate) -> PvalidateOutcome (lib/warden/svsm/core.hpp)
    // 16 was kVmsaAccess: kVcpuCreate takes the VMSA page itself, so that no
    // call can come between taking it and checking it.
    kVcpuCreate = 17,  // (vmsa gpa, caa gpa, apic id) the kernel checks the VMSA itself
    kVcpuDelete = 18,  // (vmsa gpa) kNotFound unless created
    // Whether [phys, phys + len) lies in a DMA buffer of task `id`: a service
    // that programs a device for a client (fw_cfg DMA) checks the target
    // first, since device DMA bypasses page tables. 0 or kDenied; only tasks
    // with IO ports (device drivers) may ask.
    kDmaCheck = 19,  // (task id, phys, len)
    // Starts a guest vCPU from a VMSA in the caller's memory (kManifestSvsm):
    // the kernel copies it into SVSM memory, checks VMPL, EFER.SVME and
    // SEV_FEATURES, and asks the platform. kUnsupported on native: there is
    // no lower VMPL to run it at.
    // caa: the Calling Area that vCPU's request loop starts with (0: the
    // kernel's initial one for that CPU).
    kGuestStart = 20,  // (const void* vmsa 4096 bytes, apic id, caa gpa)
    // 0 when all of [gpa, gpa + len) is guest memory still in the guest's
    // hands (DESIGN 8: not SVSM memory, no taken VMSA page), else kDenied.
    // kGuestRead, kGuestWrite and kGuestPvalidate make the same check
    // themselves (kDenied); this lets the request loop refuse up front.
    kGuestInHands = 21,  // (gpa, len) kManifestSvsm only
    // Runs this CPU's guest vCPU at the guest's VMPL until it asks for VMPL0
    // (SNP: RUN_VMPL), first writing `results` (0: none) into its VMSA, and
    // reports the call from the VMSA page's copy (GuestCall). kNotFound while
    // this CPU has no guest vCPU (the loader or CREATE_VCPU starts one),
    // kUnsupported where tasks play the guest (native). kManifestPerCpu and
    // kManifestSvsm only: the request loop of this CPU.
    kGuestRun = 22,  // (const GuestCall* results or 0, GuestCall* out)
    // What a guest's loader places that only the kernel can make
    // (kManifestSvsm), each a whole page written to the page at gpa, which
    // must be page-aligned (kMisaligned), guest memory (kOutOfRange), in the
    // guest's hands and validated for it (kDenied), as the kernel checks.
    // kGuestSecrets: the guest's secrets page, from the platform's (SNP: the
    // PSP's, VMPCKs of VMPLs above the guest's cleared; native: no keys), its
    // SVSM fields set: SVSM memory, caa (the BSP's Calling Area: a guest page
    // in the guest's hands, not gpa's: kInvalidArgument), protocol version 1,
    // the guest's VMPL. kGuestCpuid: the platform's CPUID page, as the PSP
    // checked it; kNotFound where there is none (native).
    kGuestSecrets = 23,  // (gpa, caa gpa)
    kGuestCpuid = 24,    // (gpa)
    // FS.base of the calling task (what glibc-built code reads %fs: against,
    // e.g. the stack protector's canary at %fs:0x28): a task address
    // (below kTaskTop, else kOutOfRange), 0 for none; kept across switches.
    kSetFsBase = 25,  // (address)
    // The attestation service's (kManifestAttest; kDenied otherwise).
    // kPspKey: VMPCK0, the key of VMPL0's messages to the PSP, from the
    // kernel's copy of the secrets page (kUnsupported where there is none:
    // native). kGuestRequest: SNP_GUEST_REQUEST with the request and
    // response pages at those physical addresses, each one page of one of
    // the caller's DMA buffers (kDenied), page-aligned (kMisaligned), not the
    // same (kInvalidArgument); `reply` gets SW_EXITINFO1 and SW_EXITINFO2
    // (the hypervisor's error in 63:32, the PSP's status in 31:0).
    kPspKey = 26,        // (uint8_t key[32] out)
    kGuestRequest = 27,  // (request phys, response phys, uint64_t reply[2] out)
    // The memory lent with the call behind a reply right the caller holds
    // (QNX's MsgRead/MsgWrite): bytes [offset, offset + len) of it, copied
    // to or from the caller's own buffer. Returns the lent size (a len of 0
    // asks only that). kBadHandle without that right, kPeerGone once the
    // lender gave up or ended, kOutOfRange past the lent bytes, and a bad
    // buffer as any pointer; a refused call copies nothing.
    kLentRead = 28,   // (reply token, offset, void* out, len)
    kLentWrite = 29,  // (reply token, offset, const void* in, len)
};

inline constexpr uint64_t kForever = ~uint64_t{0};  // timeout: wait without limit
inline constexpr size_t kMaxGuestCopy = 64 << 10;   // bytes per kGuestRead/kGuestWrite
inline constexpr size_t kMaxLend = 64 << 10;        // bytes a call may lend
inline constexpr size_t kMessageWords = 4;
inline constexpr size_t kMaxHandles = 8;
inline constexpr size_t kMaxLog = 256;           // bytes per log call
inline constexpr uint64_t kTaskBase = 0x400000;  // lowest address of a task's image
inline constexpr uint64_t kTaskTop = 0x0000800000000000;

struct Message {
    uint64_t label = 0;
    uint64_t words[kMessageWords] = {};
    uint32_t sender = 0;  // task id, filled by the kernel
    uint32_t reply = 0;   // reply token of a call, filled by the kernel (0: none)
};
static_assert(sizeof(Message) == 48, "the ABI fixes the message size");

// The manifest a service carries in its ELF ("Warden" note, type 1): what it
// is called, which queue it serves, which it may use, its IO ports and CPU.
inline constexpr size_t kNameBytes = 16;
inline constexpr size_t kMaxUses = 4;
inline constexpr size_t kMaxPortRanges = 2;
inline constexpr uint8_t kAnyCpu = 0xff;

struct PortRange {
    uint16_t base = 0;
    uint16_t count = 0;
};

struct Manifest {
    char name[kNameBytes] = {};
    char serves[kNameBytes] = {};          // queue it receives on (handle 0); empty: none
    char uses[kMaxUses][kNameBytes] = {};  // queues it may send to (handles 1..4)
    PortRange ports[kMaxPortRanges] = {};
    uint8_t cpu = 0;  // pinned CPU index, or kAnyCpu (the BSP for now)
    uint8_t flags = 0;
    uint8_t reserved[6] = {};
};
inline constexpr uint8_t kManifestConsole = 1;  // receives the kernel and task log ring
// One instance per online CPU, pinned to it; an '@' in the name, the served
// queue or a used queue becomes the CPU index ("svsm@" -> "svsm0", ...).
inline constexpr uint8_t kManifestPerCpu = 2;
// Plays the guest on native (DESIGN 9): guest memory is mapped into it at
// kGuestMapBase + GPA, RW, NX.
inline constexpr uint8_t kManifestGuest = 4;
// Serves the guest (the request loop): may use the guest system calls.
inline constexpr uint8_t kManifestSvsm = 8;
// Restarted with fresh memory when it exits or faults (at most 3 times); its
// served queue keeps the messages for the next instance (docs/tasks.md).
inline constexpr uint8_t kManifestRestartable = 16;
// The task runs x87/SSE code (libraries built for glibc: Debian's
// libbearssl, libtpms, libcrypto): the kernel keeps its FXSAVE state across
// switches. Without it the vector unit is off while it runs (CR0.TS): its
// first x87/SSE instruction is #NM, which ends it as a fault.
inline constexpr uint8_t kManifestVector = 32;
// It talks to the PSP for VMPL0: kPspKey and kGuestRequest (the attestation
// service; docs/attestation.md).
inline constexpr uint8_t kManifestAttest = 64;
// A static Linux program (glibc; docs/tasks.md "Linux tasks"): its system
// calls are Linux's x86-64 ones as lib/warden/linux/abi.hpp serves them,
// Warden's own at linux_abi::kWardenCallBase + Sys; it starts with a Linux
// initial stack (argc, argv, envp, auxv) on a 256 KiB stack, and always
// has its vector state kept (kManifestVector: glibc is built with SSE).
inline constexpr uint8_t kManifestLinux = 128;
inline constexpr uint64_t kGuestMapBase = 0x100000000000;  // 16 TiB
inline constexpr uint64_t kGuestMapSize = kGuestMapBase;   // GPAs below 16 TiB
// No system call accepts a pointer into this window: the kernel copies task
// memory through its direct map, and guest memory is not in it.

// kGuestRun's call and results: the guest's registers (SPEC-FACTS 7), the
// Calling Area the vCPU started with and which start it is (a new one when
// a vCPU is started on this CPU again: the loop starts over at its caa).
// Results carry the start of the call they answer: the kernel drops them
// when this CPU's vCPU has started anew since (a CREATE_VCPU replaced it).
// exit_code: why the vCPU left its VMPL (the VMSA's GUEST_EXITCODE; only a
// VMGEXIT is a call, lib/warden/svsm/vmsa_call.hpp is_request); not read
// from results.
struct GuestCall {
    uint64_t rax = 0, rcx = 0, rdx = 0, r8 = 0, r9 = 0;
    uint64_t caa = 0;
    uint64_t start = 0;
    uint64_t exit_code = 0;
};
static_assert(sizeof(GuestCall) == 64, "the ABI fixes the size");

// What kGuestInfo reports to the calling task (about its CPU's vCPU).
struct GuestInfo {
    uint64_t memory_base = 0, memory_size = 0;  // guest memory (one range)
    uint64_t caa = 0;                           // this vCPU's initial Calling Area
    uint64_t svsm_probe = 0;                    // an address of SVSM memory, for refusal tests
    uint64_t mutations = 0;                     // validation and vCPU changes this CPU's request loop made
    uint64_t sev_features = 0;                  // what a VMSA created for the guest must carry
    uint64_t tsc_hz = 0;                        // for benchmarks that print rates
    uint64_t harness_base = 0;                  // native: the high half of RAM, a guest-playing task's pages
    uint64_t flash_base = 0, flash_size = 0;    // the region where the firmware image maps (ends at 4 GiB)
    uint64_t firmware_size = 0;                 // an image the launch already put there (IGVM), else 0
    uint64_t svsm_base = 0, svsm_size = 0;      // SVSM memory as the guest must be told (secrets page)
    uint64_t encryption_mask = 0;               // the C-bit a guest's private page-table entries carry (native: 0)
    uint32_t cpu_index = 0, apic_id = 0, cpu_count = 0;
    uint8_t guest_vmpl = 0;
    uint8_t bench = 0;       // the command line asks for benchmarks (warden.bench)
    uint8_t runs_guest = 0;  // the kernel runs the guest's vCPUs (kGuestRun); else tasks play it (native)
    uint8_t reserved[1] = {};
    uint32_t apic_ids[64] = {};  // of the online CPUs, cpu_count of them
    // CPUID 1 EAX as the kernel sees it (SNP: from the PSP-checked CPUID
    // page): what a guest vCPU's reset RDX holds. A task's own CPUID would
    // be a #VC from CPL3 on SNP.
    uint32_t cpu_signature = 0;
    uint32_t reserved2 = 0;
};
static_assert(sizeof(GuestInfo) == 392, "the ABI fixes the size");
static_assert(sizeof(Manifest) == 112, "the ABI fixes the manifest size");

// Checks a manifest's bytes: exact size, NUL-terminated names, a name, every
// name of the characters a log line's prefix allows (log_line.hpp), port
// ranges inside 0..65535. The copy is returned.
Result<Manifest> parse_manifest(std::span<const uint8_t> bytes);

// The log ring shared with the console service: the kernel writes text at
// `head`, the console reads from `tail`. Only `tail` is the console's to
// write, one byte at a time by compare-exchange before it writes that byte
// out; when the system stops, the kernel exchanges it for `head` and writes
// the rest itself. The kernel never trusts `tail` beyond clamping.
struct LogRing {
    static constexpr size_t kPages = 16;
    static constexpr size_t kBytes = kPages * 4096 - 16;
    volatile uint64_t head;
    volatile uint64_t tail;
    char data[kBytes];
};
static_assert(sizeof(LogRing) == LogRing::kPages * 4096, "whole pages");
inline constexpr uint64_t kLogRingAddress = 0x10000000;  // where a console task sees it

}  // namespace warden::abi
