// The native platform: no encryption, no RMP; IO and MSRs are the
// instructions themselves; APs start with INIT-SIPI-SIPI.
#pragma once

#include "platform/platform.hpp"

namespace warden::platform {
Platform& native();
}
