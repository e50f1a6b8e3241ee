// fw_cfg directory parsing and DMA descriptors.
#include "warden/fw_cfg.hpp"

#include "warden/bytes.hpp"

namespace warden::fw_cfg {

std::string_view File::name_view() const {
    size_t n = 0;
    while (n < name.size() && name[n] != '\0') ++n;
    return {name.data(), n};
}

const File* Directory::find(std::string_view wanted) const {
    for (size_t i = 0; i < count; ++i) {
        if (files[i].name_view() == wanted) return &files[i];
    }
    return nullptr;
}

Result<uint32_t> parse_count(std::span<const uint8_t> bytes) {
    if (bytes.size() < 4) return Fail(Error::kTruncated);
    const uint32_t count = load_be<uint32_t>(bytes, 0);
    if (count > kMaxFiles) return Fail(Error::kOutOfRange);
    return count;
}

Result<void> parse_directory(std::span<const uint8_t> bytes, Directory& out) {
    WARDEN_TRY(count, parse_count(bytes));
    if (bytes.size() < 4 + size_t{count} * kFileEntrySize) return Fail(Error::kTruncated);
    for (size_t i = 0; i < count; ++i) {  // check everything before writing anything
        bool terminated = false;
        for (size_t j = 0; j < kFileNameSize; ++j)
            terminated = terminated || bytes[4 + i * kFileEntrySize + 8 + j] == 0;
        if (!terminated) return Fail(Error::kInvalidArgument);
    }
    for (size_t i = 0; i < count; ++i) {
        const size_t at = 4 + i * kFileEntrySize;
        File& f = out.files[i];
        f.size = load_be<uint32_t>(bytes, at);
        f.selector = load_be<uint16_t>(bytes, at + 4);
        for (size_t j = 0; j < kFileNameSize; ++j) f.name[j] = static_cast<char>(bytes[at + 8 + j]);
    }
    out.count = count;
    return {};
}

DmaAccess make_dma_read(uint16_t selector, uint32_t length, uint64_t address) {
    return DmaAccess{be32((uint32_t{selector} << 16) | kDmaSelect | kDmaRead), be32(length), be64(address)};
}

DmaAccess make_dma_skip(uint16_t selector, uint32_t length) {
    return DmaAccess{be32((uint32_t{selector} << 16) | kDmaSelect | kDmaSkip), be32(length), 0};
}

DmaAccess make_dma_read_on(uint32_t length, uint64_t address) {
    return DmaAccess{be32(kDmaRead), be32(length), be64(address)};
}

DmaState dma_state(uint32_t control_be) {
    const uint32_t control = be32(control_be);
    if (control & kDmaError) return DmaState::kError;
    return control == 0 ? DmaState::kDone : DmaState::kBusy;
}

}  // namespace warden::fw_cfg
