// GHCB field access and the valid bitmap.
#include "warden/sev/ghcb.hpp"

namespace warden::sev {
namespace {
size_t offset(GhcbField f) { return static_cast<size_t>(f); }
size_t width(GhcbField f) { return f == GhcbField::kCpl ? 1 : 8; }
}  // namespace

void Ghcb::begin() {
    for (size_t i = 0; i < 16; ++i) bytes_[kGhcbValidBitmap + i] = 0;
    for (GhcbField f : {GhcbField::kSwExitCode, GhcbField::kSwExitInfo1, GhcbField::kSwExitInfo2}) {
        for (size_t i = 0; i < 8; ++i) bytes_[offset(f) + i] = 0;
    }
    bytes_[kGhcbProtocolVersion] = static_cast<uint8_t>(kGhcbVersion);
    bytes_[kGhcbProtocolVersion + 1] = static_cast<uint8_t>(kGhcbVersion >> 8);
    for (size_t i = 0; i < 4; ++i) bytes_[kGhcbUsage + i] = 0;
}

void Ghcb::set(GhcbField f, uint64_t value) {
    const size_t at = offset(f);
    for (size_t i = 0; i < width(f); ++i) bytes_[at + i] = static_cast<uint8_t>(value >> (8 * i));
    const size_t qword = at / 8;  // one valid bit per quadword of the save area
    bytes_[kGhcbValidBitmap + qword / 8] =
        static_cast<uint8_t>(bytes_[kGhcbValidBitmap + qword / 8] | (1u << (qword % 8)));
}

uint64_t Ghcb::get(GhcbField f) const {
    uint64_t v = 0;
    for (size_t i = 0; i < width(f); ++i) v |= uint64_t{bytes_[offset(f) + i]} << (8 * i);
    return v;
}

bool Ghcb::is_valid(GhcbField f) const {
    const size_t qword = offset(f) / 8;
    return (bytes_[kGhcbValidBitmap + qword / 8] >> (qword % 8)) & 1;
}

void Ghcb::set_exit(uint64_t code, uint64_t info1, uint64_t info2) {
    set(GhcbField::kSwExitCode, code);
    set(GhcbField::kSwExitInfo1, info1);
    set(GhcbField::kSwExitInfo2, info2);
}

Result<void> Ghcb::check_result() const {
    return (get(GhcbField::kSwExitInfo1) & 0xffffffff) == 0 ? Result<void>{} : Fail(Error::kDenied);
}

}  // namespace warden::sev
