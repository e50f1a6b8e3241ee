// One shared window page at kWindowsBase, serialized by a lock.
#include "mm/phys_copy.hpp"

#include <cstring>

#include "mm/address_space.hpp"
#include "mm/layout.hpp"
#include "warden/checked.hpp"
#include "warden/spinlock.hpp"

namespace warden::mm {
namespace {
SpinLock window_lock;
}

Result<void> copy_from_phys(PhysAddr source, std::span<uint8_t> out) {
    if (!checked_end(source.raw(), out.size()) || (source.raw() + out.size()) > (uint64_t{1} << 52)) {
        return Fail(Error::kOutOfRange);
    }
    LockGuard guard(window_lock);
    const VirtAddr window(kWindowsBase);
    size_t done = 0;
    while (done < out.size()) {
        const PhysAddr at = source + done;
        const PhysAddr page = at.align_down(kPageSize);
        const size_t offset = at.page_offset();
        const size_t n = out.size() - done < kPageSize - offset ? out.size() - done : kPageSize - offset;
        WARDEN_TRY_VOID(kernel_mapper().map(window, page, kPageSize, MapFlags{}));
        std::memcpy(out.data() + done, reinterpret_cast<const uint8_t*>(window.raw()) + offset, n);
        WARDEN_TRY_VOID(kernel_mapper().unmap(window, kPageSize));
        done += n;
    }
    return {};
}

}  // namespace warden::mm
