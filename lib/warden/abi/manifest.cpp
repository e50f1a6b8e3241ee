// Service manifest validation.
#include <cstring>
#include <span>

#include "warden/abi/syscall.hpp"

namespace warden::abi {
namespace {
bool terminated(const char (&s)[kNameBytes]) {
    for (char c : s) {
        if (c == '\0') return true;
    }
    return false;
}
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
    for (const PortRange& r : m.ports) {
        if (uint32_t{r.base} + r.count > 0x10000) return Fail(Error::kOutOfRange);
    }
    return m;
}

}  // namespace warden::abi
