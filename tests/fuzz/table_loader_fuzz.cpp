// libFuzzer target: QEMU's ACPI linker/loader script (host input), parsed and
// then run on fake blobs. The input is the script in whole 128-byte entries,
// then a tail of 0..127 bytes shaping the blobs: byte 0 bit 0 fills them from
// the input instead of zeros; then per file a little-endian u16 size (13 bits
// kept) and a u16 page number (with bit 15 set, counted down from 2^64).
// Files past the tail get 256 bytes at (index + 1) MiB.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "warden/acpi/table_loader.hpp"

namespace {

uint16_t le16(std::span<const uint8_t> b, size_t at) { return static_cast<uint16_t>(b[at] | (b[at + 1] << 8)); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden::acpi;
    const std::span<const uint8_t> all(data, size);
    const auto whole = parse_table_loader(all);
    if (whole.ok() && size % kLoaderEntrySize != 0) __builtin_trap();

    const size_t script_size = size / kLoaderEntrySize * kLoaderEntrySize;
    const auto script = parse_table_loader(all.first(script_size));
    if (!script) return 0;
    const auto tail = all.subspan(script_size);
    const bool pattern = !tail.empty() && (tail[0] & 1) != 0;

    std::vector<std::vector<uint8_t>> storage(script->files().size());
    std::vector<Blob> blobs(script->files().size());
    for (size_t i = 0; i < blobs.size(); ++i) {
        const LoaderFile& f = script->files()[i];
        size_t bytes = 256;
        uint64_t address = (i + 1) << 20;
        if (1 + 4 * i + 4 <= tail.size()) {
            bytes = le16(tail, 1 + 4 * i) & 0x1fff;
            const uint16_t page = le16(tail, 1 + 4 * i + 2);
            address = uint64_t{page & 0x7fffu} << 12;
            if (page & 0x8000) address = 0 - address;  // that many pages below 2^64
        }
        storage[i].resize(bytes);
        for (size_t j = 0; pattern && j < bytes; ++j) storage[i][j] = data[j % size];
        blobs[i] = Blob{f.name, storage[i], address};
        if (address % f.alignment != 0) __builtin_trap();  // pages satisfy every accepted alignment
    }
    if (!apply(*script, blobs)) return 0;

    // Accepted: the last command, if a checksum, left its range summing to 0.
    if (!script->commands().empty()) {
        const LoaderCommand& c = script->commands().back();
        if (c.op == LoaderOp::kAddChecksum) {
            uint8_t sum = 0;
            for (size_t j = c.start; j < size_t{c.start} + c.length; ++j) {
                sum = static_cast<uint8_t>(sum + storage[c.file][j]);
            }
            if (sum != 0) __builtin_trap();
        }
    }
    return 0;
}
