// The SVSM vTPM protocol (SVSM spec 58019, protocol 2; SPEC-FACTS 7b; Linux
// include/linux/tpm_svsm.h): VTPM_QUERY answers which platform commands
// the vTPM takes (TPM_SEND_COMMAND, bit 8); VTPM_CMD passes one command in
// a 4096-byte guest buffer (any alignment) and writes the response over it.
// The buffer is guest memory: copied whole, checked, then used.
#pragma once

#include <span>

#include "warden/result.hpp"

namespace warden::svsm {

inline constexpr uint32_t kVtpmQuery = 0, kVtpmCmd = 1;
inline constexpr uint32_t kTpmSendCommand = 8;
inline constexpr uint64_t kVtpmPlatformCommands = uint64_t{1} << kTpmSendCommand;
inline constexpr size_t kVtpmBuffer = 4096;
// Request: u32 platform command @0, u8 locality @4, u32 size @5, the TPM
// command @9. Response: u32 size @0, the TPM response @4.
inline constexpr size_t kVtpmRequestHeader = 9, kVtpmResponseHeader = 4;
inline constexpr size_t kVtpmMaxCommand = kVtpmBuffer - kVtpmRequestHeader;    // 4087
inline constexpr size_t kVtpmMaxResponse = kVtpmBuffer - kVtpmResponseHeader;  // 4092

// The TPM command of a TPM_SEND_COMMAND request: kTruncated for fewer than
// kVtpmBuffer bytes, kUnsupported for another platform command,
// kInvalidArgument for a locality other than 0 or a size of 0 or past
// kVtpmMaxCommand.
Result<std::span<const uint8_t>> parse_send_command(std::span<const uint8_t> buffer);
// The response's header and bytes into `buffer` (kVtpmResponseHeader +
// response.size() bytes written; the rest untouched): kOverflow past
// kVtpmMaxResponse or a short buffer.
Result<size_t> write_send_response(std::span<const uint8_t> response, std::span<uint8_t> buffer);

// The vTPM behind protocol 2 (the request loop's: an IPC call to the vtpm
// service; the host suites': a fake).
class Vtpm {
public:
    virtual bool offered() = 0;
    // The TPM's response to `command` into `response`: its size, or an
    // error when the vTPM gave none.
    virtual Result<size_t> send(std::span<const uint8_t> command, std::span<uint8_t> response) = 0;

protected:
    ~Vtpm() = default;
};

}  // namespace warden::svsm
