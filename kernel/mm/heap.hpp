// The kernel heap: lib's slab Heap over the frame allocator and the direct
// map; operator new and delete use it.
#pragma once

#include "warden/mm/slab.hpp"

namespace warden::mm {

// Call once frames and the direct map are up.
void init_heap();
Heap& kernel_heap();

}  // namespace warden::mm
