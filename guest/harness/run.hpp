// What a harness image does once its vCPU is up (main.cpp): the checks and
// their verdict in harness-guest (checks_main.cpp), the PVALIDATE bench in
// harness-bench (bench.cpp). Each image links exactly one of them.
#pragma once

#include "vcpu.hpp"

namespace harness {

[[noreturn]] void run(Vcpu& v);

}  // namespace harness
