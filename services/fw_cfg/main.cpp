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
                        .cpu = warden::abi::kAnyCpu);

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

// Reads n bytes of selector into the DMA buffer at offset 64; false on error or timeout.
bool read_dma(uint16_t selector, size_t n) {
    auto* access = reinterpret_cast<volatile fc::DmaAccess*>(dma);
    const fc::DmaAccess a = fc::make_dma_read(selector, static_cast<uint32_t>(n), dma_phys + 64);
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
        const fc::File* f = nullptr;
        for (size_t i = 0; i < directory.count; ++i) {
            if (directory.files[i].selector == selector) f = &directory.files[i];
        }
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
