// libFuzzer target: the IGVM file reader, then the SNP launch walk over what
// it accepts (every header body QEMU's loader reads: platform, guest policy,
// parameter areas and inserts, page data, the VP context and its VMSA).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "warden/bytes.hpp"
#include "warden/igvm/igvm.hpp"
#include "warden/igvm/snp_launch.hpp"

namespace {

// Checks every page the walk hands out: a known type, a page-aligned GPA,
// 4 KiB of contents exactly for the hashed types, VMSAs at KVM's GPA.
class CheckingSink final : public warden::igvm::LaunchSink {
public:
    void page(warden::igvm::SnpPageType type, uint64_t gpa, std::span<const uint8_t> contents) override {
        using T = warden::igvm::SnpPageType;
        const bool hashed = type == T::kNormal || type == T::kVmsa;
        if (gpa % 4096 != 0 || contents.size() != (hashed ? 4096u : 0u)) __builtin_trap();
        if (type == T::kVmsa && gpa != warden::igvm::kKvmVmsaGpa) __builtin_trap();
        if (type == T::kZero || static_cast<uint8_t>(type) < 1 || static_cast<uint8_t>(type) > 6) __builtin_trap();
        ++pages;
    }
    size_t pages = 0;
};

// The walk over a file the reader accepted.
void walk(const warden::igvm::File& file, std::span<const uint8_t> bytes) {
    CheckingSink sink;
    size_t at = 0;
    auto launch = warden::igvm::plan_snp_launch(file, bytes, warden::igvm::LaunchConfig{.vcpus = 2}, sink, &at);
    if (at > file.count) __builtin_trap();
    if (launch) {
        // At least the BSP's and the AP's VMSA, and the count is honest.
        if (launch->pages != sink.pages || launch->pages < 2) __builtin_trap();
        if (!warden::igvm::check_policy(launch->policy)) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto file = std::make_unique<warden::igvm::File>();
    const std::span<const uint8_t> bytes(data, size);
    if (warden::igvm::parse(bytes, *file)) {
        for (size_t i = 0; i < file->count; ++i) {
            const auto body = file->headers[i].body;
            if (body.data() < data || body.data() + body.size() > data + size) __builtin_trap();
        }
        walk(*file, bytes);
    }
    // Most mutations break the CRC-32; give the walk the same bytes with it
    // repaired, so that it sees every header body the mutator invents.
    if (size < 24) return 0;
    std::vector<uint8_t> fixed(data, data + size);
    const uint32_t var_offset = warden::load_le<uint32_t>(fixed, 8), var_size = warden::load_le<uint32_t>(fixed, 12);
    if (var_offset < 24 || var_offset > size || var_size > size - var_offset) return 0;
    for (size_t i = 20; i < 24; ++i) fixed[i] = 0;
    uint32_t crc = warden::igvm::crc32(std::span<const uint8_t>(fixed).first(24));
    crc = warden::igvm::crc32(std::span<const uint8_t>(fixed).subspan(var_offset, var_size), crc);
    for (size_t i = 0; i < 4; ++i) fixed[20 + i] = static_cast<uint8_t>(crc >> (8 * i));
    if (warden::igvm::parse(fixed, *file)) walk(*file, fixed);
    return 0;
}
