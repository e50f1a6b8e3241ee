// The SVSM vTPM protocol (SVSM spec 58019, protocol 2; SPEC-FACTS 7b; Linux
// include/linux/tpm_svsm.h): VTPM_QUERY answers which platform commands
// the vTPM takes (TPM_SEND_COMMAND, bit 8); VTPM_CMD passes one command in
// a 4096-byte guest buffer (any alignment) and writes the response over it.
// The buffer is guest memory: copied whole, checked, then used.
#pragma once

#include <span>

#include "warden/result.hpp"
#include "warden/svsm/core.hpp"

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

// One frame of the tpm2-tools relay (docs/vtpm.md; the guest-side relays
// of native and SNP share it): a TPM command read as u32 size
// (little-endian) and its bytes into `buffer` as a TPM_SEND_COMMAND request,
// VTPM_CMD made on it (vtpm_cmd: the SVSM's result code), and the response
// written back as u32 size and bytes, or a size of 0 when the SVSM refused.
// Every byte of a command is read, even of one too long to send, so that
// the stream stays framed.
struct RelayedFrame {
    uint64_t result = kErrInvalidParameter;
    uint32_t size = 0;  // the command's
};
template <typename ReadByte, typename WriteByte, typename VtpmCmd>
RelayedFrame relay_frame(std::span<uint8_t, kVtpmBuffer> buffer, ReadByte&& read_byte, WriteByte&& write_byte,
                         VtpmCmd&& vtpm_cmd) {
    const auto write_u32 = [&](uint32_t v) {
        for (int i = 0; i < 4; ++i) write_byte(static_cast<uint8_t>(v >> (8 * i)));
    };
    RelayedFrame f;
    for (int i = 0; i < 4; ++i) f.size |= uint32_t{read_byte()} << (8 * i);
    for (uint8_t& b : buffer) b = 0;
    const bool fits = f.size > 0 && f.size <= kVtpmMaxCommand;
    for (uint32_t i = 0; i < f.size; ++i) {
        const uint8_t b = read_byte();
        if (fits) buffer[kVtpmRequestHeader + i] = b;
    }
    if (fits) {
        for (int i = 0; i < 4; ++i) {
            buffer[i] = static_cast<uint8_t>(kTpmSendCommand >> (8 * i));  // platform command; locality 0 at 4
            buffer[5 + i] = static_cast<uint8_t>(f.size >> (8 * i));
        }
        f.result = vtpm_cmd();
    }
    uint32_t response = 0;
    for (int i = 0; i < 4; ++i) response |= uint32_t{buffer[i]} << (8 * i);
    if (f.result != kSuccess || response > kVtpmMaxResponse) {
        write_u32(0);
        return f;
    }
    write_u32(response);
    for (uint32_t i = 0; i < response; ++i) write_byte(buffer[kVtpmResponseHeader + i]);
    return f;
}

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
