// ELF64 executables for service tasks (System V gABI, ELF-64 Object File
// Format 1.5; x86-64 psABI). Untrusted in principle (an embedded file could be
// corrupted or replaced): every field is checked before the loader maps a byte.
#pragma once

#include <array>
#include <span>

#include "warden/result.hpp"

namespace warden::elf {

inline constexpr size_t kHeaderSize = 64;
inline constexpr size_t kPhdrSize = 56;
inline constexpr uint16_t kTypeExec = 2;
inline constexpr uint16_t kMachineX86_64 = 62;
inline constexpr uint32_t kPtLoad = 1;
inline constexpr uint32_t kPtNote = 4;
inline constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;
inline constexpr size_t kMaxSegments = 8;
inline constexpr size_t kMaxProgramHeaders = 16;

struct Segment {
    uint64_t vaddr = 0;
    uint64_t memsz = 0;
    uint64_t offset = 0;
    uint64_t filesz = 0;
    bool writable = false;
    bool executable = false;
};

struct Image {
    uint64_t entry = 0;
    std::array<Segment, kMaxSegments> segments{};
    size_t count = 0;
    // The program headers' address once loaded (0: not in a loaded
    // segment) and their count: a Linux task's AT_PHDR and AT_PHNUM.
    uint64_t phdr = 0;
    uint16_t phnum = 0;
    // The descriptor of the first note named "Warden" (the service manifest), or empty.
    std::span<const uint8_t> manifest;
};

// Parses and checks an executable whose loadable segments must lie in
// [va_low, va_high). Errors: kTruncated, kBadMagic, kUnsupported (not a
// 64-bit little-endian x86-64 executable), kInvalidArgument (inconsistent
// sizes, entry outside the executable segments), kOutOfRange, kOverflow,
// kMisaligned (vaddr and offset disagree modulo the page), kOverlap,
// kWriteExecute, kNotFound (no loadable segment).
Result<Image> parse(std::span<const uint8_t> file, uint64_t va_low, uint64_t va_high);

}  // namespace warden::elf
