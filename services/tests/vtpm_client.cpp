// Test service: TPM commands to the vTPM service ("vtpm",
// services/vtpm/libtpms) through a lend, as the request loop's VTPM_CMD
// will send them: TPM2_GetRandom, a command whose size field lies, the
// service's own refusals, and the EK's public area (template L-1's type,
// attributes and 2048-bit modulus). Exit code 0 when every check held.
#include "service.hpp"
#include "warden/abi/vtpm_service.hpp"
#include "warden/bytes.hpp"

WARDEN_SERVICE_MANIFEST(.name = "vtpm-client", .serves = "", .uses = {"vtpm"}, .ports = {},
                        .cpu = warden::abi::kAnyCpu);

namespace {

using namespace warden;
namespace proto = warden::abi::vtpm_service;

uint8_t page[proto::kMaxCommand];
uint64_t failed = 0;

void expect(bool ok, unsigned bit, const char* what) {
    svc::log("{}: {}", what, ok ? "yes" : "NO");
    if (!ok) failed |= uint64_t{1} << bit;
}
uint32_t be32(size_t at) {
    return uint32_t{page[at]} << 24 | uint32_t{page[at + 1]} << 16 | uint32_t{page[at + 2]} << 8 | page[at + 3];
}
uint16_t be16(size_t at) { return static_cast<uint16_t>(page[at] << 8 | page[at + 1]); }

// One command of `n` bytes already in page: the reply's label, the response size in `size`.
uint64_t send(uint64_t n, uint64_t& size, uint64_t label = proto::kCommand) {
    svc::Message m, r;
    m.label = label;
    m.words[0] = n;
    if (svc::call(1, m, r, 60'000, page, sizeof page) != 0) return ~0ull;
    size = r.words[0];
    return r.label;
}

}  // namespace

extern "C" int64_t service_main() {
    // The vTPM waits for its TPM2_Startup (a power cycle at its start):
    // GetRandom first is TPM_RC_INITIALIZE (0x100), then Startup(CLEAR).
    // TPM2_GetRandom(32): tag NO_SESSIONS, size 12, TPM_CC_GetRandom 0x17b, bytesRequested 32.
    const uint8_t get_random[] = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 32};
    for (size_t i = 0; i < sizeof get_random; ++i) page[i] = get_random[i];
    uint64_t size = 0;
    expect(send(sizeof get_random, size) == 0 && size == 10 && be32(6) == 0x100, 5,  // the first waits for its start
           "before TPM2_Startup: TPM_RC_INITIALIZE");
    const uint8_t startup[] = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0};
    for (size_t i = 0; i < sizeof startup; ++i) page[i] = startup[i];
    expect(send(sizeof startup, size) == 0 && size == 10 && be32(6) == 0, 6, "TPM2_Startup(CLEAR): TPM_RC_SUCCESS");
    for (size_t i = 0; i < sizeof get_random; ++i) page[i] = get_random[i];
    const uint64_t label = send(sizeof get_random, size);
    expect(label == 0 && size == 44 && be16(0) == 0x8001 && be32(2) == 44 && be32(6) == 0 && be16(10) == 32, 0,
           "TPM2_GetRandom(32) through the lend: TPM_RC_SUCCESS and 32 bytes");
    constexpr int kRounds = 20;
    const uint64_t t0 = svc::rdtsc();
    for (int i = 0; i < kRounds; ++i) {
        for (size_t k = 0; k < sizeof get_random; ++k) page[k] = get_random[k];
        (void)send(sizeof get_random, size);
    }
    svc::log("TPM2_GetRandom(32): {} TSC cycles per command, call to reply ({} commands)",
             (svc::rdtsc() - t0) / kRounds, kRounds);
    // A command whose size field says 12 while 10 bytes come: the TPM answers with an error code, no crash.
    for (size_t i = 0; i < sizeof get_random; ++i) page[i] = get_random[i];
    expect(send(10, size) == 0 && size == 10 && be32(6) != 0, 1, "a command shorter than its size field: a TPM error");
    expect(send(0, size) == static_cast<uint64_t>(Error::kInvalidArgument), 2, "an empty command: refused");
    expect(send(proto::kMaxCommand + 1, size) == static_cast<uint64_t>(Error::kInvalidArgument), 3,
           "a command past 4096 bytes: refused");
    // The EK: TPMT_PUBLIC of template L-1.
    const uint64_t ek = send(0, size, proto::kEkPublic);
    expect(ek == 0 && size == 314 && be16(0) == 0x0001 && be16(2) == 0x000b && be32(4) == 0x000300b2 && be16(56) == 256,
           4, "the EK's public area: RSA, SHA-256, attributes 0x000300b2, a 256-byte modulus");
    svc::log("vtpm-client: failed checks {:#x}", failed);
    return failed == 0 ? 0 : 1;
}
