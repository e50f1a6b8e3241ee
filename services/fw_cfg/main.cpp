// The fw_cfg service: checks the device (signature, ID), reads the file
// directory once (DMA where the ID offers it, IO ports otherwise), and
// answers look-ups and small reads on its queue. Everything the host
// provides is copied and parsed by lib/warden/fw_cfg.hpp first.
#include <cstring>

#include "service.hpp"
#include "warden/abi/fw_cfg_service.hpp"
#include "warden/fw_cfg.hpp"

WARDEN_SERVICE_MANIFEST(.name = "fw_cfg", .serves = "fw_cfg", .uses = {},
                        .ports = {{warden::fw_cfg::kSelectorPort, 2}, {warden::fw_cfg::kDmaPortHigh, 8}},
                        .cpu = warden::abi::kAnyCpu, .flags = warden::abi::kManifestRestartable);

namespace {

namespace fc = warden::fw_cfg;
namespace proto = warden::abi::fw_cfg_service;
using warden::Error;

constexpr uint64_t kDmaPages = 8;  // directory: 4 + 256 * 64 bytes, and the descriptor
fc::Directory directory;           // ~17 KiB: not on the 16 KiB stack
uint8_t* dma = nullptr;
uint64_t dma_phys = 0;
bool has_dma = false;

void select(uint16_t selector) { (void)svc::io_out(fc::kSelectorPort, 2, selector); }

void read_ports(uint16_t selector, uint8_t* out, size_t n) {
    select(selector);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(svc::io_in(fc::kDataPort, 1));
}

// Runs one DMA descriptor (kept at the start of the service's DMA buffer);
// false on error or timeout.
bool run_dma(const fc::DmaAccess& a) {
    auto* access = reinterpret_cast<volatile fc::DmaAccess*>(dma);
    access->control_be = a.control_be;
    access->length_be = a.length_be;
    access->address_be = a.address_be;
    (void)svc::io_out(fc::kDmaPortHigh, 4, fc::be32(static_cast<uint32_t>(dma_phys >> 32)));
    (void)svc::io_out(fc::kDmaPortLow, 4, fc::be32(static_cast<uint32_t>(dma_phys)));
    for (int spins = 0; spins < 1'000'000; ++spins) {
        switch (fc::dma_state(access->control_be)) {
        case fc::DmaState::kDone: return true;
        case fc::DmaState::kError: return false;
        case fc::DmaState::kBusy: break;
        }
    }
    return false;
}

// Reads n bytes of selector into the DMA buffer at offset 64.
bool read_dma(uint16_t selector, size_t n) {
    return run_dma(fc::make_dma_read(selector, static_cast<uint32_t>(n), dma_phys + 64));
}

const fc::File* file_of(uint64_t selector) {
    for (size_t i = 0; i < directory.count; ++i) {
        if (directory.files[i].selector == selector) return &directory.files[i];
    }
    return nullptr;
}

// kReadDma: straight into the caller's DMA buffer, after the kernel says it is the caller's.
Error read_into(const svc::Message& m, uint64_t& done) {
    const uint64_t selector = m.words[0], offset = m.words[1], length = m.words[2], target = m.words[3];
    const fc::File* f = file_of(selector);
    if (f == nullptr) return Error::kNotFound;
    if (offset > f->size || length == 0 || length > proto::kMaxDmaRead) return Error::kOutOfRange;
    if (!has_dma || dma == nullptr) return Error::kUnsupported;
    const uint64_t n = f->size - offset < length ? f->size - offset : length;
    if (n == 0) return Error{};  // at the file's end: nothing to move
    if (svc::syscall(warden::abi::Sys::kDmaCheck, m.sender, target, n) < 0) return Error::kDenied;
    const auto sel = static_cast<uint16_t>(selector);
    if (offset != 0 && !run_dma(fc::make_dma_skip(sel, static_cast<uint32_t>(offset)))) return Error::kTimedOut;
    const fc::DmaAccess read = offset != 0 ? fc::make_dma_read_on(static_cast<uint32_t>(n), target)
                                           : fc::make_dma_read(sel, static_cast<uint32_t>(n), target);
    if (!run_dma(read)) return Error::kTimedOut;
    done = n;
    return Error{};
}

Error load_directory() {
    uint8_t sig[4];
    read_ports(fc::kSignature, sig, 4);
    if (std::memcmp(sig, "QEMU", 4) != 0) return Error::kBadMagic;
    uint8_t id[4];
    read_ports(fc::kId, id, 4);
    has_dma = (id[0] | (id[1] << 8)) & fc::kIdDma;
    uint8_t count_bytes[4];
    read_ports(fc::kFileDir, count_bytes, 4);
    auto count = fc::parse_count(count_bytes);
    if (!count) return count.error();
    const size_t bytes = 4 + size_t{*count} * fc::kFileEntrySize;
    static uint8_t copy[4 + fc::kMaxFiles * fc::kFileEntrySize];
    if (has_dma) {
        const int64_t va = svc::dma_buffer(kDmaPages, &dma_phys);
        if (va > 0) dma = reinterpret_cast<uint8_t*>(va);
    }
    if (has_dma && dma != nullptr && read_dma(fc::kFileDir, bytes)) {
        std::memcpy(copy, dma + 64, bytes);
    } else {
        read_ports(fc::kFileDir, copy, bytes);
    }
    if (auto r = fc::parse_directory(std::span<const uint8_t>(copy, bytes), directory); !r) return r.error();
    return Error{};
}

void serve(const svc::Message& m) {
    svc::Message r;
    r.label = static_cast<uint64_t>(Error::kInvalidArgument);
    if (m.label == proto::kLookup) {
        char name[33] = {};
        std::memcpy(name, m.words, 32);
        if (const fc::File* f = directory.find(name)) {
            r.label = 0;
            r.words[0] = f->selector;
            r.words[1] = f->size;
        } else {
            r.label = static_cast<uint64_t>(Error::kNotFound);
        }
    } else if (m.label == proto::kRead) {
        const uint64_t selector = m.words[0], offset = m.words[1];
        const uint64_t length = m.words[2] < proto::kChunk ? m.words[2] : proto::kChunk;
        const fc::File* f = file_of(selector);
        if (f != nullptr && offset <= f->size) {
            const uint64_t n = f->size - offset < length ? f->size - offset : length;
            uint8_t buf[fc::kFileEntrySize];
            // The traditional interface has no seek: read up to offset + n.
            select(static_cast<uint16_t>(selector));
            for (uint64_t i = 0; i < offset; ++i) (void)svc::io_in(fc::kDataPort, 1);
            for (uint64_t i = 0; i < n; ++i) buf[i] = static_cast<uint8_t>(svc::io_in(fc::kDataPort, 1));
            std::memcpy(r.words, buf, n);
            r.words[3] = n;
            r.label = 0;
        } else {
            r.label = static_cast<uint64_t>(f == nullptr ? Error::kNotFound : Error::kOutOfRange);
        }
    } else if (m.label == proto::kReadDma) {
        uint64_t done = 0;
        const Error e = read_into(m, done);
        r.label = static_cast<uint64_t>(e);
        r.words[0] = done;
    }
    if (m.reply != 0) (void)svc::reply(m.reply, r);
}

}  // namespace

extern "C" int64_t service_main() {
    if (const Error e = load_directory(); e != Error{}) {
        svc::log("no usable fw_cfg device: {}", warden::error_name(e));
        return 1;
    }
    svc::log("{} files, {}", directory.count, has_dma ? "DMA" : "IO ports only");
    svc::Message m;
    for (;;) {
        if (svc::receive(0, m) == 0) serve(m);
    }
}
