// ACPI discovery of the CPUs: RSDP, RSDT/XSDT and the MADT (ACPI 6.5
// sections 5.2.5, 5.2.7, 5.2.8 and 5.2.12). Tables are firmware input: the
// kernel copies them, these functions check signatures, lengths and
// checksums before reading a field.
#pragma once

#include <array>
#include <span>

#include "warden/result.hpp"

namespace warden::acpi {

inline constexpr size_t kRsdpV1Size = 20;
inline constexpr size_t kRsdpV2Size = 36;
inline constexpr size_t kHeaderSize = 36;  // System Description Table header
inline constexpr uint8_t kMadtLocalApic = 0;
inline constexpr uint8_t kMadtLocalApicOverride = 5;
inline constexpr uint8_t kMadtLocalX2Apic = 9;
inline constexpr uint32_t kApicEnabled = 1u << 0;
inline constexpr uint32_t kApicOnlineCapable = 1u << 1;

struct Rsdp {
    uint8_t revision = 0;
    uint32_t rsdt = 0;
    uint64_t xsdt = 0;  // 0 before revision 2
};

// Looks for "RSD PTR " on 16-byte boundaries of bytes; offset of the first
// valid one (checksums checked) or kNotFound.
Result<size_t> find_rsdp(std::span<const uint8_t> bytes);
Result<Rsdp> parse_rsdp(std::span<const uint8_t> bytes);

struct TableHeader {
    std::array<char, 4> signature{};
    uint32_t length = 0;
    uint8_t revision = 0;
};

// The header, checked: length within bytes and at least a header, checksum of
// the whole table zero. kTruncated when bytes is shorter than the length.
Result<TableHeader> parse_header(std::span<const uint8_t> bytes);

// The table addresses of an RSDT (4-byte entries) or XSDT (8-byte entries).
struct TableList {
    static constexpr size_t kMax = 64;
    std::array<uint64_t, kMax> address{};
    size_t count = 0;
};
Result<TableList> parse_root_table(std::span<const uint8_t> bytes, bool xsdt);

struct Cpu {
    uint32_t apic_id = 0;
    uint32_t uid = 0;
    bool enabled = false;  // usable now (bit 0); online-capable ones are not started
};

struct Madt {
    static constexpr size_t kMaxCpus = 256;
    uint64_t local_apic_address = 0;
    uint32_t flags = 0;
    std::array<Cpu, kMaxCpus> cpus{};
    size_t cpu_count = 0;
    size_t enabled_count() const;
};

// A whole MADT including its header. Entries of unknown type are skipped by
// their length; a zero or overlong length, a known entry shorter than its
// type requires, or more CPUs than kMaxCpus is an error.
Result<Madt> parse_madt(std::span<const uint8_t> bytes);

}  // namespace warden::acpi
