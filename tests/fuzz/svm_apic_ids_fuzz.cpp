// libFuzzer target: the host's GET_APIC_IDS answer (svm/apic_ids.hpp) to
// any RAX and GPA for 0..1100 vCPUs, and the write of the list into a
// buffer of any size. Invariants: the list is written only into a buffer
// the guest gave as big enough and page aligned, never past the list's
// bytes nor past the buffer; a buffer too small learns exactly the pages
// the list needs; a written list reads back as written.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "warden/svm/apic_ids.hpp"

using namespace warden::svm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 18) return 0;
    uint64_t pages, gpa;
    uint16_t count;
    std::memcpy(&pages, data, 8);
    std::memcpy(&gpa, data + 8, 8);
    std::memcpy(&count, data + 16, 2);
    count %= 1100;
    const uint64_t needed = (4 + 4 * uint64_t{count} + 4095) / 4096;
    const ApicIdAnswer a = answer_apic_ids(pages, gpa, count);
    switch (a.kind) {
    case ApicIdAnswer::Kind::kSize:
        if (pages >= needed || a.rax != needed || a.bytes != 0) __builtin_trap();
        break;
    case ApicIdAnswer::Kind::kMisaligned:
        if (pages < needed || !(gpa & 0xfff) || a.bytes != 0) __builtin_trap();
        break;
    case ApicIdAnswer::Kind::kFill:
        if (pages < needed || (gpa & 0xfff) || a.rax != pages) __builtin_trap();
        if (a.bytes != 4 + 4 * uint64_t{count} || a.bytes > needed * 4096) __builtin_trap();  // needed <= pages
        break;
    }
    std::vector<uint32_t> ids(count);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<uint32_t>(i * 2654435761u);
    const size_t buffer = size - 18;
    std::vector<uint8_t> out(buffer + 8, 0x5a);  // 8 guard bytes past the buffer
    const bool wrote = write_apic_id_list(ids, std::span<uint8_t>(out.data(), buffer));
    if (wrote != (buffer >= 4 + 4 * ids.size())) __builtin_trap();
    const size_t written = wrote ? 4 + 4 * ids.size() : 0;
    for (size_t i = written; i < out.size(); ++i)
        if (out[i] != 0x5a) __builtin_trap();
    if (wrote) {
        uint32_t n;
        std::memcpy(&n, out.data(), 4);
        if (n != count) __builtin_trap();
        for (size_t i = 0; i < ids.size(); ++i) {
            uint32_t x;
            std::memcpy(&x, out.data() + 4 + 4 * i, 4);
            if (x != ids[i]) __builtin_trap();
        }
    }
    return 0;
}
