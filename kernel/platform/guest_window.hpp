// A guest page mapped into this CPU's window as a scoped guard (DESIGN 4:
// the kernel never maps guest memory permanently): mapped by the
// constructor, unmapped by the destructor, interrupts off in between.
#pragma once

#include <cstdint>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden::platform {

// What the window is for: 4 KiB accesses (this CPU's own slot), or a
// 2 MiB PVALIDATE/RMPADJUST, whose linear address is 2 MiB aligned as the
// page is (one slot shared by all CPUs, taken in turn; only the page's
// first 4 KiB is mapped, which is what the instructions translate).
enum class WindowFor : uint8_t { kAccess, kLargePage };

class GuestWindow {
public:
    // The guest page holding gpa (translated through the platform's guest
    // regions; with the C-bit where the platform has one). status() says
    // whether it is mapped: kOutOfRange outside guest memory (or, for a
    // large page, not 2 MiB aligned), kBusy before init_guest_windows.
    explicit GuestWindow(PhysAddr gpa, WindowFor use = WindowFor::kAccess);
    ~GuestWindow();
    GuestWindow(const GuestWindow&) = delete;
    GuestWindow& operator=(const GuestWindow&) = delete;

    Result<void> status() const { return slot_ ? Result<void>{} : Fail(error_); }
    // The page's first byte in the window (valid while status() is ok).
    uint8_t* bytes() const { return reinterpret_cast<uint8_t*>(va_); }
    uint64_t va() const { return va_; }

private:
    uint64_t va_ = 0;
    uint64_t* slot_ = nullptr;
    bool interrupts_ = false;
    bool shared_ = false;
    Error error_ = Error::kBusy;
};

// The page-table slots of every CPU's window, once at boot (after the
// kernel address space).
Result<void> init_guest_windows();

}  // namespace warden::platform
