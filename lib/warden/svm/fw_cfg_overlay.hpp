// The VM's fw_cfg as the emulated SNP host presents it: L1 QEMU's device
// passed through, except items the host must answer for the VM itself
// because L1's describe the wrong machine. Today one: etc/e820, the VM's
// memory map (QEMU builds it from the machine's RAM, hw/i386/e820; L1's
// says L1's RAM, not the guest's). The replaced item's size in the file
// directory (selector 0x19) is patched as it is read. QEMU docs/specs/
// fw_cfg.rst: a selector write (port or DMA select) resets the item's
// offset; reads and skips advance it; reads past the end give zeros.
// Every operation comes from the guest: offsets and lengths are its own,
// and nothing here reads or writes outside the spans it is handed.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "warden/fw_cfg.hpp"
#include "warden/result.hpp"

namespace warden::svm {

class FwCfgOverlay {
public:
    static constexpr size_t kMaxBytes = 512;  // the replaced item (an e820 table of 25 entries)

    // Replaces the named file of L1's directory: kNotFound if L1 has no such
    // file, kOutOfRange if contents are larger than kMaxBytes.
    Result<void> replace(const fw_cfg::Directory& l1, std::string_view name, std::span<const uint8_t> contents);

    void select(uint16_t key) { selected_ = key, offset_ = 0; }
    uint16_t selected() const { return selected_; }
    // Whether reads of the selected item are answered here, not by L1's device.
    bool serves_selected() const { return replaced_ && selected_ == key_; }
    // The replaced item's bytes from the offset (zeros past its end), advancing.
    void read(std::span<uint8_t> out);
    // After the device's bytes of the selected item were read into buf: the
    // directory's bytes that hold the replaced file's size are rewritten.
    // Advances by buf's size whatever the item.
    void device_read(std::span<uint8_t> buf);
    void skip(uint32_t n) { offset_ += n; }

private:
    bool replaced_ = false;
    uint16_t key_ = 0;
    uint32_t entry_ = 0;  // the replaced file's index in the directory
    std::array<uint8_t, kMaxBytes> bytes_{};
    uint32_t size_ = 0;
    uint16_t selected_ = 0;
    uint64_t offset_ = 0;
};

// The VM's memory map as QEMU's etc/e820 holds it: entries of u64 address,
// u64 length, u32 type (1 RAM), little endian, 20 bytes each. One RAM entry
// [0, ram_bytes), as QEMU's pc machine gives RAM below 4 GiB (e820_add_entry
// (0, below_4g_mem_size, E820_RAM)). Returns the bytes written.
size_t make_e820_ram(uint64_t ram_bytes, std::span<uint8_t, 20> out);

}  // namespace warden::svm
