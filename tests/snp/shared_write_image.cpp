// A negative image for the emulated SNP host (docs/snp-host.md): the kernel
// maps one of its own private, validated frames with the C-bit clear, which
// makes its accesses shared, and writes to it without a page-state change.
// A shared write needs a hypervisor-owned page (APM vol. 2 15.36.10, Table
// 15-39): the hardware raises #NPF, and the host must report it and stop.
#include "mm/address_space.hpp"
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "test/ktest.hpp"

KTEST("snp negative: a shared write to a private page") {
    auto frame = warden::mm::alloc_frames(0);
    KCHECK(frame.ok());
    if (!frame.ok()) return;
    auto* p = warden::mm::phys_to_virt<volatile uint64_t>(*frame);
    const warden::VirtAddr va(reinterpret_cast<uint64_t>(p));
    KCHECK(warden::mm::kernel_mapper()
               .protect(va, warden::kPageSize, warden::mm::MapFlags{.writable = true, .encrypted = false})
               .ok());
    *p = 1;  // #NPF on SNP: the run ends here
}
