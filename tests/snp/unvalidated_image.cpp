// A negative image for the emulated SNP host (docs/snp-host.md): the kernel
// rescinds the validation of one of its own frames (PVALIDATE 0) and then
// reads it through its private mapping. The hardware raises #VC 0x404 (page
// not validated, APM vol. 2 15.36.10), which Warden's #VC handler does not
// serve: it terminates. The snp suite checks that the host raised exactly
// that #VC and named the cause.
#include "mm/frames.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "test/ktest.hpp"

KTEST("snp negative: a read of a page after rescinding its validation") {
    auto frame = warden::mm::alloc_frames(0);
    KCHECK(frame.ok());
    if (!frame.ok()) return;
    KCHECK(warden::platform::current().validate(*frame, warden::mm::PageSize::k4K, false).ok());
    volatile uint64_t* p = warden::mm::phys_to_virt<volatile uint64_t>(*frame);
    (void)*p;  // #VC 0x404 on SNP: the run ends here
}
