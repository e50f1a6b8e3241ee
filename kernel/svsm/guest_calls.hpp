// The guest system calls (kGuestInfo .. kGuestInHands), served by kernel/svsm
// for the task layer's dispatch (task::set_guest_call_handler).
#pragma once

#include "task/task.hpp"

namespace warden::guest {

// The call's answer for RAX: >= 0, or -Error.
int64_t serve_call(task::Task& t, abi::Sys nr, uint64_t rdi, uint64_t rsi, uint64_t rdx);

}  // namespace warden::guest
