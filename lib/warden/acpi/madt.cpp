// ACPI table parsing for CPU discovery.
#include "warden/acpi/madt.hpp"

#include "warden/bytes.hpp"

namespace warden::acpi {
namespace {

uint8_t sum(std::span<const uint8_t> b) {
    uint8_t s = 0;
    for (uint8_t v : b) s = static_cast<uint8_t>(s + v);
    return s;
}

bool signature_is(std::span<const uint8_t> b, const char (&sig)[5]) {
    for (size_t i = 0; i < 4; ++i) {
        if (b[i] != static_cast<uint8_t>(sig[i])) return false;
    }
    return true;
}

}  // namespace

Result<Rsdp> parse_rsdp(std::span<const uint8_t> b) {
    if (b.size() < kRsdpV1Size) return Fail(Error::kTruncated);
    if (!(signature_is(b, "RSD ") && signature_is(b.subspan(4), "PTR "))) return Fail(Error::kBadMagic);
    if (sum(b.first(kRsdpV1Size)) != 0) return Fail(Error::kInvalidArgument);
    Rsdp r;
    r.revision = b[15];
    r.rsdt = load_le<uint32_t>(b, 16);
    if (r.revision >= 2) {
        if (b.size() < kRsdpV2Size) return Fail(Error::kTruncated);
        const uint32_t length = load_le<uint32_t>(b, 20);
        if (length < kRsdpV2Size || length > b.size()) return Fail(Error::kOutOfRange);
        if (sum(b.first(length)) != 0) return Fail(Error::kInvalidArgument);
        r.xsdt = load_le<uint64_t>(b, 24);
    }
    return r;
}

Result<size_t> find_rsdp(std::span<const uint8_t> bytes) {
    for (size_t at = 0; at + kRsdpV1Size <= bytes.size(); at += 16) {
        if (parse_rsdp(bytes.subspan(at))) return at;
    }
    return Fail(Error::kNotFound);
}

Result<TableHeader> parse_header(std::span<const uint8_t> b) {
    if (b.size() < kHeaderSize) return Fail(Error::kTruncated);
    TableHeader h;
    for (size_t i = 0; i < 4; ++i) h.signature[i] = static_cast<char>(b[i]);
    h.length = load_le<uint32_t>(b, 4);
    h.revision = b[8];
    if (h.length < kHeaderSize) return Fail(Error::kInvalidArgument);
    if (h.length > b.size()) return Fail(Error::kTruncated);
    if (sum(b.first(h.length)) != 0) return Fail(Error::kInvalidArgument);
    return h;
}

Result<TableList> parse_root_table(std::span<const uint8_t> b, bool xsdt) {
    WARDEN_TRY(h, parse_header(b));
    if (!signature_is(b, xsdt ? "XSDT" : "RSDT")) return Fail(Error::kBadMagic);
    const size_t width = xsdt ? 8 : 4;
    const size_t body = h.length - kHeaderSize;
    if (body % width != 0) return Fail(Error::kMisaligned);
    if (body / width > TableList::kMax) return Fail(Error::kOutOfRange);
    TableList list;
    for (size_t at = kHeaderSize; at < h.length; at += width) {
        list.address[list.count++] = xsdt ? load_le<uint64_t>(b, at) : load_le<uint32_t>(b, at);
    }
    return list;
}

Result<Madt> parse_madt(std::span<const uint8_t> b) {
    WARDEN_TRY(h, parse_header(b));
    if (!signature_is(b, "APIC")) return Fail(Error::kBadMagic);
    if (h.length < kHeaderSize + 8) return Fail(Error::kTruncated);
    Madt m;
    m.local_apic_address = load_le<uint32_t>(b, kHeaderSize);
    m.flags = load_le<uint32_t>(b, kHeaderSize + 4);
    auto add_cpu = [&](uint32_t apic_id, uint32_t uid, uint32_t flags) -> bool {
        if (m.cpu_count == Madt::kMaxCpus) return false;
        m.cpus[m.cpu_count++] = Cpu{apic_id, uid, (flags & kApicEnabled) != 0};
        return true;
    };
    for (size_t at = kHeaderSize + 8; at < h.length;) {
        if (h.length - at < 2) return Fail(Error::kTruncated);
        const uint8_t type = b[at];
        const uint8_t len = b[at + 1];
        if (len < 2 || len > h.length - at) return Fail(Error::kOutOfRange);
        switch (type) {
        case kMadtLocalApic:
            if (len < 8) return Fail(Error::kTruncated);
            if (!add_cpu(b[at + 3], b[at + 2], load_le<uint32_t>(b, at + 4))) return Fail(Error::kOutOfRange);
            break;
        case kMadtLocalX2Apic:
            if (len < 16) return Fail(Error::kTruncated);
            if (!add_cpu(load_le<uint32_t>(b, at + 4), load_le<uint32_t>(b, at + 12), load_le<uint32_t>(b, at + 8))) {
                return Fail(Error::kOutOfRange);
            }
            break;
        case kMadtLocalApicOverride:
            if (len < 12) return Fail(Error::kTruncated);
            m.local_apic_address = load_le<uint64_t>(b, at + 4);
            break;
        default: break;  // I/O APICs, NMI sources, ...: not needed to start CPUs
        }
        at += len;
    }
    return m;
}

size_t Madt::enabled_count() const {
    size_t n = 0;
    for (size_t i = 0; i < cpu_count; ++i) n += cpus[i].enabled;
    return n;
}

}  // namespace warden::acpi
