// The host's checked accesses to guest memory (host_access.hpp).
#include "host_access.hpp"

#include "warden/format.hpp"

namespace snp_host {

const char* host_access_refusal(const Vcpu& v, uint64_t gpa, uint64_t len, HostUse use) {
    // The protocol's shared buffers are ordinary memory: the flash is the firmware's, private.
    if (!v.machine->guest.in_memory(gpa, len)) return "outside guest RAM and the IGVM memory";
    if (len == 0) return nullptr;
    const RmpSeam& rmp = *v.machine->rmp;
    if (static_cast<uint8_t>(use) & static_cast<uint8_t>(HostUse::kWrite)) {
        if (const char* why = rmp.host_access(gpa, len, true)) return why;
    }
    if (static_cast<uint8_t>(use) & static_cast<uint8_t>(HostUse::kRead)) {
        if (const char* why = rmp.host_access(gpa, len, false)) return why;
    }
    return nullptr;
}

bool host_may_access(Vcpu& v, uint64_t gpa, uint64_t len, HostUse use, std::string_view what) {
    const char* why = host_access_refusal(v, gpa, len, use);
    if (why == nullptr) return true;
    warden::fmt::FixedString<200> line;
    warden::fmt::format(line, "{}: {}", what, why);
    (void)refuse(v, gpa, line.view());
    return false;
}

std::span<uint8_t> shared_guest_bytes(Vcpu& v, uint64_t gpa, uint64_t len, HostUse use, std::string_view what) {
    if (!host_may_access(v, gpa, len, use, what)) return {};
    return v.machine->guest.bytes(gpa, len);
}

}  // namespace snp_host
