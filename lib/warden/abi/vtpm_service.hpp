// The vTPM service's protocol on its queue ("vtpm"; services/vtpm/), for
// SVSM protocol 2 (VTPM_CMD) and the attestation service's manifest. Bulk
// data travels in memory the call lends (docs/tasks.md, "Lending memory
// with a call").
#pragma once

#include "warden/abi/syscall.hpp"

namespace warden::abi::vtpm_service {

inline constexpr size_t kMaxCommand = 4096;  // bytes of a TPM command or response (the SVSM's one page)

// label kCommand: words[0] = the command's size (at most kMaxCommand), the
// command at the lend's start (a lend of at least kMaxCommand bytes).
// Reply: label 0 and words[0] = the response's size, the response at the
// lend's start; or label = Error (kInvalidArgument: size 0 or past
// kMaxCommand, or a short lend; kUnsupported: libtpms failed, no response).
// A command the TPM refuses is a response like any other (its RC inside).
inline constexpr uint64_t kCommand = 1;
// label kEkPublic: the EK's public area (TPMT_PUBLIC, marshaled, no size),
// created at the service's start from the TCG default EK template L-1
// (RSA 2048): the vTPM's services-manifest entry. Reply: label 0,
// words[0] = its size, the bytes at the lend's start.
inline constexpr uint64_t kEkPublic = 2;

}  // namespace warden::abi::vtpm_service
