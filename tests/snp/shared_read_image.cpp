// A negative image for the emulated SNP host (docs/snp-host.md): the kernel
// writes a pattern into one of its own private, validated frames, then maps
// the frame with the C-bit clear and reads it back as a shared access. On
// hardware that read is not refused but returns ciphertext (APM vol. 2
// 15.34.4, 15.36.10 Table 15-39), never the plaintext. It is not a fault, so
// the host prints no report line: the image prints whether it saw its
// pattern, and its KTEST fails if it did.
#include "log.hpp"
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "test/ktest.hpp"

KTEST("snp negative: a shared read of a private page never returns the plaintext") {
    auto frame = warden::mm::alloc_frames(0);
    KCHECK(frame.ok());
    if (!frame.ok()) return;
    auto* p = warden::mm::phys_to_virt<volatile uint64_t>(*frame);
    const warden::VirtAddr va(reinterpret_cast<uint64_t>(p));
    constexpr uint64_t kPattern = 0x5eed'c0de'5eed'c0de;
    for (size_t i = 0; i < warden::kPageSize / 8; ++i) p[i] = kPattern ^ i;
    KCHECK(warden::mm::kernel_mapper()
               .protect(va, warden::kPageSize, warden::mm::MapFlags{.writable = false, .encrypted = false})
               .ok());
    size_t same = 0;
    for (size_t i = 0; i < warden::kPageSize / 8; ++i) same += p[i] == (kPattern ^ i) ? 1 : 0;
    KCHECK(warden::mm::kernel_mapper()
               .protect(va, warden::kPageSize, warden::mm::MapFlags{.writable = true, .encrypted = true})
               .ok());
    warden::log::raw("snp-negative: shared read of a private page: {} of 512 words were the plaintext", same);
    KCHECK(same == 0);
    KCHECK(p[0] == kPattern);  // the private alias still reads it
}
