// Service manifest validation.
#include <cstring>
#include <span>

#include "warden/abi/syscall.hpp"
#include "warden/log_line.hpp"

namespace warden::abi {
namespace {
bool terminated(const char (&s)[kNameBytes]) {
    for (char c : s) {
        if (c == '\0') return true;
    }
    return false;
}

// Names end up in log lines (a task's "[name] " prefix, the kernel's lines
// about it): the characters log_line allows, or empty where that is allowed.
bool printable_name(const char (&s)[kNameBytes]) { return s[0] == '\0' || log_line::valid_task_name(s); }
}  // namespace

Result<Manifest> parse_manifest(std::span<const uint8_t> bytes) {
    if (bytes.size() != sizeof(Manifest))
        return Fail(bytes.size() < sizeof(Manifest) ? Error::kTruncated : Error::kInvalidArgument);
    Manifest m;
    std::memcpy(&m, bytes.data(), sizeof m);
    if (!terminated(m.name) || !terminated(m.serves)) return Fail(Error::kInvalidArgument);
    for (const auto& u : m.uses) {
        if (!terminated(u)) return Fail(Error::kInvalidArgument);
    }
    if (m.name[0] == '\0') return Fail(Error::kInvalidArgument);
    if (!printable_name(m.name) || !printable_name(m.serves)) return Fail(Error::kInvalidArgument);
    for (const auto& u : m.uses) {
        if (!printable_name(u)) return Fail(Error::kInvalidArgument);
    }
    for (const PortRange& r : m.ports) {
        if (uint32_t{r.base} + r.count > 0x10000) return Fail(Error::kOutOfRange);
    }
    return m;
}

}  // namespace warden::abi
