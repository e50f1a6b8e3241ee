// libFuzzer target: the IGVM file reader, then the SNP launch walk over what
// it accepts (every header body QEMU's loader reads: platform, guest policy,
// parameter areas and inserts, page data, the VP context and its VMSA).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto file = std::make_unique<warden::igvm::File>();
    const std::span<const uint8_t> bytes(data, size);
    if (!warden::igvm::parse(bytes, *file)) return 0;
    for (size_t i = 0; i < file->count; ++i) {
        const auto body = file->headers[i].body;
        if (body.data() < data || body.data() + body.size() > data + size) __builtin_trap();
    }
    CheckingSink sink;
    size_t at = 0;
    auto launch = warden::igvm::plan_snp_launch(*file, bytes, warden::igvm::LaunchConfig{.vcpus = 2}, sink, &at);
    if (at > file->count) __builtin_trap();
    if (launch) {
        // At least the BSP's and the AP's VMSA, and the count is honest.
        if (launch->pages != sink.pages || launch->pages < 2) __builtin_trap();
        if (!warden::igvm::check_policy(launch->policy)) __builtin_trap();
    }
    return 0;
}
