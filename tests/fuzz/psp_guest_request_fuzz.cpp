// libFuzzer target: the emulated PSP's SNP_GUEST_REQUEST
// (snp/psp_guest_request.hpp), reachable by any guest VMPL with a GHCB.
// Two modes, by the first byte: the input as a raw request page, or a
// MSG_REPORT_REQ sealed under the key it names from the input's fields
// (VMPCK, VMPL, key_sel, a reserved byte), so that the report path is
// reached. Invariants: a refusal writes no response and moves no sequence;
// an answer moves the named key's sequence by two and no other, is a
// MSG_REPORT_RSP that opens under that key (BearSSL directly, IV the
// response's number), with the status the firmware's rules give (restated
// here) and a report only with status 0.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "warden/bytes.hpp"
#include "warden/crypto/bearssl_ecdsa.hpp"
#include "warden/crypto/bearssl_gcm.hpp"
#include "warden/snp/psp_guest_request.hpp"

using namespace warden;
using namespace warden::snp;

namespace {

PspGuest fresh_guest() {
    PspGuest g;
    for (size_t k = 0; k < 4; ++k)
        for (size_t i = 0; i < 32; ++i) g.keys.vmpck[k][i] = static_cast<uint8_t>(0x31 * (k + 1) + 5 * i);
    g.report.version = 2;
    g.report.measurement.fill(0x4d);
    return g;
}

crypto::BearSslP384Key& chip_key() {
    static auto key = crypto::BearSslP384Key::generate(std::array<uint8_t, 48>{1, 2, 3});
    return *key;
}

// The firmware's MSG_REPORT_REQ rules, restated (docs/attestation.md).
uint32_t report_status(std::span<const uint8_t> p, unsigned vmpck) {
    for (size_t i = 0x48; i < 0x60; ++i)
        if (p[i] != 0) return 0x16;
    const uint32_t key_sel = load_le<uint32_t>(p, 0x44), vmpl = load_le<uint32_t>(p, 0x40);
    if (key_sel > 3) return 0x16;
    if (key_sel == 2 || key_sel == 3) return 0x27;
    if (vmpl < vmpck) return 0x16;
    return 0;
}

void check(PspGuest& g, std::span<const uint8_t, 4096> page, const uint8_t* payload_or_null) {
    crypto::BearSslAes256Gcm gcm;
    const auto before = g.keys;
    std::array<uint8_t, 4096> response;
    response.fill(0xcc);
    const PspAnswer a = serve_guest_request(g, gcm, chip_key(), page, response);
    if (a.status != 0) {
        for (uint8_t b : response)
            if (b != 0xcc) __builtin_trap();
        for (size_t k = 0; k < 4; ++k)
            if (g.keys.sequence[k].last() != before.sequence[k].last()) __builtin_trap();
        if (payload_or_null != nullptr) __builtin_trap();  // a sealed report request is never refused here
        return;
    }
    const unsigned k = page[0x3c];
    for (size_t i = 0; i < 4; ++i)
        if (g.keys.sequence[i].last() != before.sequence[i].last() + (i == k ? 2 : 0)) __builtin_trap();
    if (page[0x34] != 5 || response[0x34] != 6 || load_le<uint16_t>(response, 0x36) != 0x4c0) __builtin_trap();
    const uint64_t seqno = load_le<uint64_t>(response, 0x20);
    if (seqno != load_le<uint64_t>(page, 0x20) + 1) __builtin_trap();
    std::array<uint8_t, 12> iv{};
    std::memcpy(iv.data(), &response[0x20], 8);
    std::array<uint8_t, 0x4c0> rsp{};
    if (!gcm.open(g.keys.vmpck[k], iv, std::span(response).subspan(0x30, 0x30), std::span(response).subspan(0x60, 0x4c0),
                  std::span(response).subspan<0, 16>(), rsp))
        __builtin_trap();
    const uint32_t status = load_le<uint32_t>(rsp, 0);
    if (status != a.payload_status || load_le<uint32_t>(rsp, 4) != 0x4a0) __builtin_trap();
    bool report_zero = true;
    for (size_t i = 0x20; i < rsp.size(); ++i) report_zero &= rsp[i] == 0;
    if (report_zero != (status != 0)) __builtin_trap();
    if (payload_or_null == nullptr) return;
    const std::span<const uint8_t> asked(payload_or_null, 0x60);
    if (status != report_status(asked, k)) __builtin_trap();
    // A report says the VMPL and the data asked for.
    if (status == 0 && (load_le<uint32_t>(rsp, 0x20 + 0x30) != load_le<uint32_t>(asked, 0x40) ||
                        std::memcmp(&rsp[0x20 + 0x50], payload_or_null, 64) != 0))
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    PspGuest g = fresh_guest();
    std::array<uint8_t, 4096> page{};
    if (!(data[0] & 1)) {
        std::memcpy(page.data(), data + 1, size - 1 < page.size() ? size - 1 : page.size());
        check(g, page, nullptr);
        return 0;
    }
    // Sealed: vmpck, vmpl u32, key_sel u32, a reserved byte's offset and value.
    if (size < 12) return 0;
    const unsigned vmpck = data[1] & 3;
    std::array<uint8_t, 0x60> payload{};
    std::memcpy(payload.data() + 0x40, data + 2, 4);
    std::memcpy(payload.data() + 0x44, data + 6, 4);
    if (data[10] >= 0x48 && data[10] < 0x60) payload[data[10]] = data[11];
    for (size_t i = 12; i < size && i - 12 < 0x40; ++i) payload[i - 12] = data[i];
    crypto::BearSslAes256Gcm gcm;
    if (!sev::seal_request(sev::kMsgReportReq, 1, static_cast<uint8_t>(vmpck), payload, g.keys.vmpck[vmpck],
                           g.keys.sequence[vmpck], gcm, page))
        __builtin_trap();
    check(g, page, payload.data());
    return 0;
}
