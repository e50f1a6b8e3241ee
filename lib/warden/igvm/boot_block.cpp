// Boot block parsing and writing.
#include "warden/igvm/boot_block.hpp"

#include "warden/bytes.hpp"

namespace warden::igvm {
namespace {

constexpr size_t kMagic = 0x00, kVersion = 0x08, kSvsmBase = 0x10, kSvsmSize = 0x18, kBootDataBase = 0x20,
                 kBootDataSize = 0x28, kMemoryMap = 0x30, kMemoryMapSize = 0x38, kVpCount = 0x40, kSecrets = 0x48,
                 kCpuid = 0x50, kCBit = 0x58, kFirmwareBase = 0x60, kFirmwareSize = 0x68;

bool inside(PhysRange outer, PhysAddr page, uint64_t size) { return outer.contains(PhysRange{page, size}); }

// 0/0 is "no firmware"; anything else is a flash image ending at 4 GiB,
// clear of the SVSM memory. Alignment is checked with the other fields.
Result<void> check_firmware(uint64_t base, uint64_t size, PhysRange svsm) {
    if (size == 0) {
        if (base != 0) return Fail(Error::kInvalidArgument);
        return {};
    }
    if (size > kMaxFirmware) return Fail(Error::kOutOfRange);
    if (base + size < base) return Fail(Error::kOverflow);
    if (base + size != kFirmwareEnd) return Fail(Error::kOutOfRange);
    if (svsm.overlaps(PhysRange{PhysAddr(base), size})) return Fail(Error::kOverlap);
    return {};
}

}  // namespace

Result<BootBlock> parse_boot_block(std::span<const uint8_t> b) {
    if (b.size() < kBootBlockSize) return Fail(Error::kTruncated);
    if (load_le<uint64_t>(b, kMagic) != kBootBlockMagic) return Fail(Error::kBadMagic);
    if (load_le<uint32_t>(b, kVersion) != kBootBlockVersion) return Fail(Error::kBadVersion);
    BootBlock bb;
    const uint64_t svsm_base = load_le<uint64_t>(b, kSvsmBase), svsm_size = load_le<uint64_t>(b, kSvsmSize);
    const uint64_t data_base = load_le<uint64_t>(b, kBootDataBase), data_size = load_le<uint64_t>(b, kBootDataSize);
    bb.memory_map = PhysAddr(load_le<uint64_t>(b, kMemoryMap));
    bb.memory_map_size = load_le<uint64_t>(b, kMemoryMapSize);
    bb.vp_count = PhysAddr(load_le<uint64_t>(b, kVpCount));
    bb.secrets = PhysAddr(load_le<uint64_t>(b, kSecrets));
    bb.cpuid = PhysAddr(load_le<uint64_t>(b, kCpuid));
    bb.c_bit = b[kCBit];
    const uint64_t fw_base = load_le<uint64_t>(b, kFirmwareBase), fw_size = load_le<uint64_t>(b, kFirmwareSize);

    for (uint64_t v : {svsm_base, svsm_size, data_base, data_size, bb.memory_map.raw(), bb.vp_count.raw(),
                       bb.secrets.raw(), bb.cpuid.raw(), fw_base, fw_size}) {
        if (v % kPageSize != 0) return Fail(Error::kMisaligned);
    }
    if (svsm_base + svsm_size < svsm_base || data_base + data_size < data_base) return Fail(Error::kOverflow);
    if (svsm_base % kEntryMapPage != 0 || svsm_size % kEntryMapPage != 0) return Fail(Error::kMisaligned);
    if (svsm_size == 0 || data_size == 0) return Fail(Error::kOutOfRange);
    if (bb.c_bit >= 64) return Fail(Error::kOutOfRange);
    // One page directory maps it: inside one 1 GiB-aligned GiB, below the
    // C-bit and in the lower canonical half (identity).
    if (!within_one_block(svsm_base, svsm_size, kEntryMapBlock) || svsm_base + svsm_size > uint64_t{1} << bb.c_bit ||
        svsm_base + svsm_size > kEntryMapLimit)
        return Fail(Error::kOutOfRange);
    bb.svsm = PhysRange{PhysAddr(svsm_base), svsm_size};
    bb.boot_data = PhysRange{PhysAddr(data_base), data_size};
    if (!inside(bb.svsm, bb.boot_data.base, data_size)) return Fail(Error::kOutOfRange);
    if (bb.memory_map_size == 0 || bb.memory_map_size > kPageSize) return Fail(Error::kOutOfRange);
    for (PhysAddr page : {bb.memory_map, bb.vp_count, bb.secrets, bb.cpuid}) {
        if (!inside(bb.boot_data, page, kPageSize)) return Fail(Error::kOutOfRange);
    }
    WARDEN_TRY_VOID(check_firmware(fw_base, fw_size, bb.svsm));
    bb.firmware = PhysRange{PhysAddr(fw_base), fw_size};
    return bb;
}

void write_boot_block(const BootBlock& bb, std::span<uint8_t, kBootBlockSize> out) {
    auto put = [&](size_t at, uint64_t v, size_t n) {
        for (size_t i = 0; i < n; ++i) out[at + i] = static_cast<uint8_t>(v >> (8 * i));
    };
    for (auto& byte : out) byte = 0;
    put(kMagic, kBootBlockMagic, 8);
    put(kVersion, kBootBlockVersion, 4);
    put(kSvsmBase, bb.svsm.base.raw(), 8);
    put(kSvsmSize, bb.svsm.size, 8);
    put(kBootDataBase, bb.boot_data.base.raw(), 8);
    put(kBootDataSize, bb.boot_data.size, 8);
    put(kMemoryMap, bb.memory_map.raw(), 8);
    put(kMemoryMapSize, bb.memory_map_size, 8);
    put(kVpCount, bb.vp_count.raw(), 8);
    put(kSecrets, bb.secrets.raw(), 8);
    put(kCpuid, bb.cpuid.raw(), 8);
    put(kCBit, bb.c_bit, 1);
    put(kFirmwareBase, bb.firmware.base.raw(), 8);
    put(kFirmwareSize, bb.firmware.size, 8);
}

}  // namespace warden::igvm
