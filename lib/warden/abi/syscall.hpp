// The system-call ABI between the kernel and service tasks: numbers, the
// message format and the service manifest. Services see nothing else of the
// kernel (docs/ipc.md describes the semantics).
//
// Registers: RAX = number; arguments in RDI, RSI, RDX, R10, R8; the result in
// RAX: >= 0 success (a value), < 0 minus an Error (result.hpp). RCX and R11
// are clobbered by SYSCALL itself.
#pragma once

#include <span>

#include "warden/result.hpp"

namespace warden::abi {

enum class Sys : uint64_t {
    kLog = 1,         // (const char* text, size_t len)
    kExit = 2,        // (int64_t code)                                   no return
    kYield = 3,       // ()
    kSend = 4,        // (handle, const Message*)                         kBusy when the queue is full
    kReceive = 5,     // (handle, Message* out, timeout_ms)               kTimedOut
    kCall = 6,        // (handle, const Message* in, Message* out, timeout_ms)
    kReply = 7,       // (reply_token, const Message*)
    kIoIn = 8,        // (port, width 1|2|4)                              kDenied unless granted
    kIoOut = 9,       // (port, width, value)
    kDmaBuffer = 10,  // (pages, uint64_t* phys_out) -> task address of a RW, NX buffer
    kTicks = 11,      // () -> timer ticks of this CPU (100 Hz)
};

inline constexpr uint64_t kForever = ~uint64_t{0};  // timeout: wait without limit
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
static_assert(sizeof(Manifest) == 112, "the ABI fixes the manifest size");

// Checks a manifest's bytes: exact size, NUL-terminated names, a name, port
// ranges inside 0..65535. The copy is returned.
Result<Manifest> parse_manifest(std::span<const uint8_t> bytes);

// The log ring shared with the console service: the kernel writes text at
// `head`, the console reads from `tail`. Only `tail` is the console's to
// write; the kernel never trusts it beyond clamping.
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
