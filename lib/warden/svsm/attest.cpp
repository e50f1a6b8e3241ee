// Attestation-protocol structures (SVSM spec 58019 tables 11 and 13).
#include "warden/svsm/attest.hpp"

#include "warden/bytes.hpp"

namespace warden::svsm {
namespace {

bool zero(std::span<const uint8_t> b, size_t at, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (b[at + i]) return false;
    }
    return true;
}

void put32(std::span<uint8_t> b, size_t at, uint32_t v) {
    for (size_t i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

Result<AttestServicesOp> parse_attest_services(std::span<const uint8_t> b) {
    if (b.size() < kAttestServicesOpSize) return Fail(Error::kTruncated);
    if (!zero(b, 0x0c, 4) || !zero(b, 0x1a, 6) || !zero(b, 0x2c, 4) || !zero(b, 0x3c, 4))
        return Fail(Error::kInvalidArgument);
    AttestServicesOp op;
    op.report = PhysAddr(load_le<uint64_t>(b, 0x00));
    op.report_size = load_le<uint32_t>(b, 0x08);
    op.nonce = PhysAddr(load_le<uint64_t>(b, 0x10));
    op.nonce_size = load_le<uint16_t>(b, 0x18);
    op.manifest = PhysAddr(load_le<uint64_t>(b, 0x20));
    op.manifest_size = load_le<uint32_t>(b, 0x28);
    op.certificates = PhysAddr(load_le<uint64_t>(b, 0x30));
    op.certificates_size = load_le<uint32_t>(b, 0x38);
    if (op.nonce_size != kNonceSize) return Fail(Error::kInvalidArgument);
    if (!op.report.is_aligned(kPageSize) || !op.manifest.is_aligned(kPageSize)) return Fail(Error::kMisaligned);
    if (op.certificates_size != 0 && !op.certificates.is_aligned(kPageSize)) return Fail(Error::kMisaligned);
    return op;
}

Result<AttestSingleServiceOp> parse_attest_single_service(std::span<const uint8_t> b) {
    if (b.size() < kAttestSingleServiceOpSize) return Fail(Error::kTruncated);
    WARDEN_TRY(op, parse_attest_services(b));
    if (!zero(b, 0x54, 4)) return Fail(Error::kInvalidArgument);
    AttestSingleServiceOp s;
    s.op = op;
    for (size_t i = 0; i < 16; ++i) s.service[i] = b[0x40 + i];
    s.manifest_version = load_le<uint32_t>(b, 0x50);
    return s;
}

Result<size_t> write_services_manifest(std::span<const ManifestEntry> entries, std::span<uint8_t> out) {
    constexpr size_t kRow = 24;  // a GUID and two u32
    size_t total = kRow * (1 + entries.size());
    for (const ManifestEntry& e : entries) {
        if (e.data.size() > 0xffffffffu - total) return Fail(Error::kOverflow);
        total += e.data.size();
    }
    if (total > out.size() || total > 0xffffffffu) return Fail(Error::kOverflow);
    auto row = [&](size_t at, const Guid& g, uint32_t a, uint32_t b) {
        for (size_t i = 0; i < 16; ++i) out[at + i] = g[i];
        put32(out, at + 16, a);
        put32(out, at + 20, b);
    };
    row(0, kServicesManifestGuid, static_cast<uint32_t>(total), static_cast<uint32_t>(entries.size()));
    size_t data = kRow * (1 + entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        row(kRow * (1 + i), entries[i].guid, static_cast<uint32_t>(data),
            static_cast<uint32_t>(entries[i].data.size()));
        for (size_t k = 0; k < entries[i].data.size(); ++k) out[data + k] = entries[i].data[k];
        data += entries[i].data.size();
    }
    return total;
}

}  // namespace warden::svsm
