// The VM's fw_cfg items the host answers itself (fw_cfg_overlay.hpp).
#include "warden/svm/fw_cfg_overlay.hpp"

#include <cstring>

namespace warden::svm {

Result<void> FwCfgOverlay::replace(const fw_cfg::Directory& l1, std::string_view name,
                                   std::span<const uint8_t> contents) {
    if (contents.size() > kMaxBytes) return Fail(Error::kOutOfRange);
    for (size_t i = 0; i < l1.count; ++i) {
        if (l1.files[i].name_view() != name) continue;
        key_ = l1.files[i].selector;
        entry_ = static_cast<uint32_t>(i);
        std::memcpy(bytes_.data(), contents.data(), contents.size());
        size_ = static_cast<uint32_t>(contents.size());
        replaced_ = true;
        return {};
    }
    return Fail(Error::kNotFound);
}

void FwCfgOverlay::read(std::span<uint8_t> out) {
    for (uint8_t& b : out) {
        b = offset_ < size_ ? bytes_[offset_] : 0;
        ++offset_;
    }
}

void FwCfgOverlay::device_read(std::span<uint8_t> buf) {
    const uint64_t start = offset_;
    offset_ += buf.size();
    if (!replaced_ || selected_ != fw_cfg::kFileDir) return;
    // The directory: BE32 count, then 64-byte entries whose first field is
    // the file's size, BE32 (fw_cfg.rst "FWCfgFile").
    const uint64_t field = 4 + uint64_t{entry_} * fw_cfg::kFileEntrySize;
    const uint32_t size_be = fw_cfg::be32(size_);
    uint8_t size_bytes[4];
    std::memcpy(size_bytes, &size_be, 4);
    for (uint64_t at = field; at < field + 4; ++at) {
        if (at >= start && at - start < buf.size()) buf[at - start] = size_bytes[at - field];
    }
}

size_t make_e820_ram(uint64_t ram_bytes, std::span<uint8_t, 20> out) {
    const uint64_t base = 0;
    const uint32_t type = 1;  // E820_RAM
    std::memcpy(out.data(), &base, 8);
    std::memcpy(out.data() + 8, &ram_bytes, 8);
    std::memcpy(out.data() + 16, &type, 4);
    return 20;
}

}  // namespace warden::svm
