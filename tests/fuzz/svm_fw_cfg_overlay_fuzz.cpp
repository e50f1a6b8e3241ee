// libFuzzer target: the guest's fw_cfg operations on the host's overlay
// (selects, reads, skips, device reads of any length), in any order. The
// overlay touches only the spans it is given; the replaced item reads back
// its bytes then zeros; the directory's bytes change only in the replaced
// file's size field.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "warden/svm/fw_cfg_overlay.hpp"

namespace {

constexpr uint16_t kE820Key = 0x22;

std::vector<uint8_t> directory() {
    std::vector<uint8_t> b(4 + 64 * 3, 0);
    const uint32_t count = warden::fw_cfg::be32(3);
    std::memcpy(b.data(), &count, 4);
    const char* names[] = {"bootorder", "etc/e820", "opt/warden/igvm"};
    for (int i = 0; i < 3; ++i) {
        uint8_t* e = b.data() + 4 + 64 * i;
        const uint32_t size = warden::fw_cfg::be32(0x1000u * (i + 1));
        const uint16_t sel = __builtin_bswap16(static_cast<uint16_t>(0x21 + i));
        std::memcpy(e, &size, 4);
        std::memcpy(e + 4, &sel, 2);
        std::memcpy(e + 8, names[i], std::strlen(names[i]));
    }
    return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<uint8_t> dir = directory();
    static warden::fw_cfg::Directory parsed;
    if (!warden::fw_cfg::parse_directory(dir, parsed)) __builtin_trap();
    warden::svm::FwCfgOverlay o;
    uint8_t table[40];
    for (size_t i = 0; i < sizeof table; ++i) table[i] = static_cast<uint8_t>(i + 1);
    if (!o.replace(parsed, "etc/e820", table)) __builtin_trap();
    uint64_t offset = 0;
    bool dir_selected = false;  // nothing is selected before the first select
    for (size_t at = 0; at + 3 <= size; at += 3) {
        const uint8_t op = data[at] % 4;
        const uint16_t arg = static_cast<uint16_t>(data[at + 1] | data[at + 2] << 8);
        if (op == 0) {
            o.select(arg % 2 ? kE820Key : warden::fw_cfg::kFileDir);
            dir_selected = arg % 2 == 0;
            offset = 0;
        } else if (op == 1 && o.serves_selected()) {
            std::vector<uint8_t> out(arg % 300);
            o.read(out);
            for (size_t i = 0; i < out.size(); ++i) {
                const uint64_t k = offset + i;
                if (out[i] != (k < sizeof table ? table[k] : 0)) __builtin_trap();
            }
            offset += out.size();
        } else if (op == 2) {
            o.skip(arg);
            offset += arg;
        } else if (op == 3 && !o.serves_selected()) {
            const size_t n = arg % 300;
            std::vector<uint8_t> buf(n);
            for (size_t i = 0; i < n; ++i) buf[i] = offset + i < dir.size() ? dir[offset + i] : 0xa5;
            const std::vector<uint8_t> before = buf;
            o.device_read(buf);
            for (size_t i = 0; i < n; ++i) {
                const uint64_t k = offset + i;
                const bool size_field = dir_selected && k >= 4 + 64 && k < 4 + 64 + 4;  // etc/e820 is entry 1
                if (!size_field && buf[i] != before[i]) __builtin_trap();
                if (size_field && buf[i] != (k == 4 + 64 + 3 ? 40 : 0)) __builtin_trap();
            }
            offset += n;
        }
    }
    return 0;
}
