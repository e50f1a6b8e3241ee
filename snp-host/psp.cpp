// The emulated PSP's guest messages (psp.hpp).
#include "psp.hpp"

#include "console.hpp"
#include "cpu.hpp"
#include "paging.hpp"
#include "warden/bytes.hpp"
#include "warden/crypto/bearssl_ecdsa.hpp"
#include "warden/crypto/bearssl_gcm.hpp"
#include "warden/snp/chip_cert.hpp"
#include "warden/spinlock.hpp"

namespace snp_host {
namespace {

namespace crypto = warden::crypto;
namespace sev = warden::sev;
namespace snp = warden::snp;

constexpr uint32_t kMsrFsBase = 0xc0000100;
constexpr uint64_t kCr0Mp = 1u << 1, kCr0Em = 1u << 2, kCr4Osfxsr = 1u << 9, kCr4Osxmmexcpt = 1u << 10;

// glibc's thread control block as far as BearSSL's objects read it: the
// stack protector's canary at +0x28 (x86-64 ABI, tcbhead_t).
struct alignas(64) CanaryBlock {
    uint64_t self = 0;
    uint64_t unused[4] = {};
    uint64_t canary = 0;
};
static_assert(offsetof(CanaryBlock, canary) == 0x28);
CanaryBlock canary_blocks[kMaxCpus];
uint64_t canary = 0x9e37'79b9'7f4a'7c15;  // until psp_init draws one

// The emulated firmware's version (SNP ABI 1.55, the layout this PSP
// follows) and its TCB: every component 0, a chip with no updates.
constexpr uint8_t kApiMajor = 1, kApiMinor = 55, kBuild = 0;

warden::SpinLock psp_lock;  // one PSP: one request at a time
snp::PspGuest guest;
crypto::BearSslP384Key* vcek = nullptr;  // this boot's, made by psp_init

void log_hex(std::string_view what, std::span<const uint8_t> bytes) {
    char text[2 * crypto::kP384PointSize];
    log("{} {}", what, warden::to_hex(bytes, text));
}

}  // namespace

void psp_cpu_init(unsigned cpu) {
    cpu::write_cr0((cpu::read_cr0() | kCr0Mp) & ~kCr0Em);
    cpu::write_cr4(cpu::read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt);
    CanaryBlock& b = canary_blocks[cpu];
    b.self = reinterpret_cast<uint64_t>(&b);
    b.canary = canary;
    cpu::wrmsr(kMsrFsBase, b.self);
}

bool psp_init(const Launched& launched) {
    std::array<uint8_t, 8> c{};
    std::array<uint8_t, crypto::BearSslP384Key::kMinSeed> seed{};
    if (!fill_entropy(c) || !fill_entropy(seed) || !fill_entropy(guest.report.chip_id) ||
        !fill_entropy(guest.report.report_id)) {
        log("PSP: the CPU gives no entropy: no chip key, guest requests are refused");
        return false;
    }
    // A canary of this boot's for every CPU (the APs' blocks are set as they start).
    for (size_t i = 0; i < 8; ++i) canary |= uint64_t{c[i]} << (8 * i);
    canary_blocks[0].canary = canary;
    static auto key = crypto::BearSslP384Key::generate(seed);
    for (auto& b : seed) b = 0;
    if (!key) {
        log("PSP: no chip key: {}", key.error());
        return false;
    }
    vcek = &*key;
    guest.keys.vmpck = launched.vmpck;
    sev::ReportFields& r = guest.report;
    r.version = 2;  // what the firmware writes (SNP_GMSG_MAX_REPORT_VERSION)
    r.policy = launched.policy;
    r.measurement = launched.digest;
    r.report_id_ma.fill(0xff);  // no migration agent
    r.current_version = r.committed_version = {kBuild, kApiMinor, kApiMajor};
    log_hex("PSP: this boot's chip key (the VCEK's role), P-384 public point:", vcek->public_key());
    log_hex("PSP: chip ID:", r.chip_id);
    // The chip key's certificate (the VCEK certificate's role; lib/warden/snp/chip_cert.hpp), written out
    // in hex lines for a verifier to take the key from.
    static uint8_t cert[snp::kChipCertMax];
    auto n = snp::build_chip_cert(*vcek, std::span<const uint8_t, 8>(r.chip_id.data(), 8), cert);
    if (!n) {
        log("PSP: no certificate for the chip key: {}", n.error());
        return true;
    }
    for (size_t at = 0; at < *n; at += 32) {
        char text[64];
        const size_t len = *n - at < 32 ? *n - at : 32;
        log("PSP: chip key certificate +{:#05x} {}", at,
            warden::to_hex(std::span<const uint8_t>(cert + at, len), text));
    }
    log("PSP: chip key certificate: {} bytes of DER, self-signed (no ARK/ASK chain)", *n);
    return true;
}

snp::PspAnswer psp_guest_request(Vcpu& v, std::span<const uint8_t, 4096> request, std::span<uint8_t, 4096> response) {
    if (vcek == nullptr) return snp::PspAnswer{.status = snp::kFwInvalidParam};
    warden::LockGuard<warden::SpinLock> one_at_a_time(psp_lock);
    static crypto::BearSslAes256Gcm aead;
    save_vector_state(v);
    const auto a = snp::serve_guest_request(guest, aead, *vcek, request, response);
    restore_vector_state(v);
    return a;
}

}  // namespace snp_host
