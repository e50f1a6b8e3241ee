// The harness guest's judgement of its SVSM (checks.cpp): the calls the
// native harness (services/guest/harness) makes, in the same order, judged
// by their answers and by the validation state this guest can see.
#pragma once

#include "vcpu.hpp"

namespace harness {

struct Tally {
    unsigned calls = 0, passed = 0, failed = 0;
};

void linux_order(Vcpu& v, Tally& t);
void malformed(Vcpu& v, Tally& t);
void taken_vmsa(Vcpu& v, Tally& t);

}  // namespace harness
