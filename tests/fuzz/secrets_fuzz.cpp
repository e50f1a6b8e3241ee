// libFuzzer target: the SNP secrets page, as a guest reads it and as the
// SVSM copies it for the guest.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/bytes.hpp"
#include "warden/sev/secrets.hpp"

using namespace warden;
using namespace warden::sev;

namespace {
using Page = std::array<uint8_t, kSecretsPageSize>;

// The guest's copy keeps the keys of its VMPL and the ones below, zeroes the
// others, and reads back the fields it was given.
void check_copy(std::span<const uint8_t> page, const SvsmFields& f, const Page& out) {
    auto back = read_svsm_fields(out);
    if (!back || !(*back == f)) __builtin_trap();
    for (size_t i = 0; i < kVmpckCount * kVmpckSize; ++i) {
        const size_t at = kSecretsVmpck0 + i;
        const uint8_t kept = page.empty() ? 0 : page[at];
        if (out[at] != (i / kVmpckSize < f.guest_vmpl ? 0 : kept)) __builtin_trap();
    }
}

// The error the rules in secrets.hpp predict.
Error expected(std::span<const uint8_t> page, const SvsmFields& f) {
    if (!page.empty() && page.size() != kSecretsPageSize) return Error::kInvalidArgument;
    if (f.guest_vmpl == 0 || f.guest_vmpl > 3) return Error::kOutOfRange;
    if (f.size == 0 || f.caa % 4096 != 0) return Error::kInvalidArgument;
    return Error{};
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> in(data, size);
    Page out{};

    // The input as a page a guest reads: what it accepts, the SVSM can copy.
    if (auto f = read_svsm_fields(in)) {
        if (expected({}, *f) != Error{}) __builtin_trap();
        const auto page = in.size() == kSecretsPageSize ? in : std::span<const uint8_t>{};
        if (!make_guest_secrets(page, *f, out).ok()) __builtin_trap();
        check_copy(page, *f, out);
    }

    // Fields from the first 29 bytes, the SVSM's page from the rest.
    constexpr size_t kFieldBytes = 29;
    if (size < kFieldBytes) return 0;
    const SvsmFields f{load_le<uint64_t>(in, 0), load_le<uint64_t>(in, 8), load_le<uint64_t>(in, 16),
                       load_le<uint32_t>(in, 24), in[28]};
    const auto page = in.subspan(kFieldBytes);
    const auto r = make_guest_secrets(page, f, out);
    if (r.error() != expected(page, f)) __builtin_trap();
    if (r) check_copy(page, f, out);
    return 0;
}
