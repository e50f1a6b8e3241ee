// The kernel's own console on COM1 (16550 UART at 0x3F8), usable from the
// first instruction of kernel_main. The console *service* (issue 6) takes
// over task logs later; the kernel keeps this one for panics.
#pragma once

#include "warden/format.hpp"

namespace warden::console {

// Programs 115200 8N1 with FIFOs on, then writes out what hold() kept.
// Safe to call twice.
void init();
// Keeps everything written in memory (16 KiB) until init(): for the IGVM
// entry, where port IO needs the GHCB that does not exist yet.
void hold();

// The sink everything in the kernel formats into. Serialised by a spinlock,
// so lines from different CPUs do not interleave mid-line.
fmt::Sink& sink();

}  // namespace warden::console
