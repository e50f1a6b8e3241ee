// The vTPM protocol's buffer (vtpm.hpp).
#include "warden/svsm/vtpm.hpp"

#include "warden/bytes.hpp"

namespace warden::svsm {

Result<std::span<const uint8_t>> parse_send_command(std::span<const uint8_t> b) {
    if (b.size() < kVtpmBuffer) return Fail(Error::kTruncated);
    if (load_le<uint32_t>(b, 0) != kTpmSendCommand) return Fail(Error::kUnsupported);
    const uint32_t size = load_le<uint32_t>(b, 5);
    if (b[4] != 0 || size == 0 || size > kVtpmMaxCommand) return Fail(Error::kInvalidArgument);
    return b.subspan(kVtpmRequestHeader, size);
}

Result<size_t> write_send_response(std::span<const uint8_t> response, std::span<uint8_t> b) {
    if (response.size() > kVtpmMaxResponse || b.size() < kVtpmResponseHeader + response.size())
        return Fail(Error::kOverflow);
    store_le<uint32_t>(b, 0, static_cast<uint32_t>(response.size()));
    for (size_t i = 0; i < response.size(); ++i) b[kVtpmResponseHeader + i] = response[i];
    return kVtpmResponseHeader + response.size();
}

}  // namespace warden::svsm
