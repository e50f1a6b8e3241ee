// Test service: asks the fw_cfg service for opt/warden/test (passed by the
// QEMU suite with -fw_cfg) and checks its first bytes, by message words and
// by DMA into its own buffer (whole and from an offset); a DMA aimed at
// memory that is not its own must be refused. Exit 0 when all holds.
#include <cstring>

#include "service.hpp"
#include "warden/abi/fw_cfg_service.hpp"

WARDEN_SERVICE_MANIFEST(.name = "fw_cfg-client", .serves = "", .uses = {"fw_cfg"}, .ports = {},
                        .cpu = warden::abi::kAnyCpu);

extern "C" int64_t service_main() {
    namespace proto = warden::abi::fw_cfg_service;
    constexpr char kName[] = "opt/warden/test";
    constexpr char kExpected[] = "warden fw_cfg test file";
    svc::Message q, r;
    q.label = proto::kLookup;
    std::memcpy(q.words, kName, sizeof kName);
    if (svc::call(1, q, r, 5000) != 0 || r.label != 0) {
        svc::log("lookup of {} failed: label {}", kName, r.label);
        return 2;
    }
    const uint64_t selector = r.words[0], size = r.words[1];
    char data[64] = {};
    uint64_t got = 0;
    while (got < sizeof kExpected - 1) {
        q = svc::Message{};
        q.label = proto::kRead;
        q.words[0] = selector;
        q.words[1] = got;
        q.words[2] = proto::kChunk;
        if (svc::call(1, q, r, 5000) != 0 || r.label != 0 || r.words[3] == 0) break;
        std::memcpy(data + got, r.words, r.words[3]);
        got += r.words[3];
    }
    const bool match = got >= sizeof kExpected - 1 && std::memcmp(data, kExpected, sizeof kExpected - 1) == 0;
    svc::log("{} ({} bytes): \"{}\" {}", kName, size, std::string_view(data, got), match ? "matches" : "DIFFERS");
    if (!match) return 1;

    uint64_t phys = 0;
    const int64_t va = svc::dma_buffer(1, &phys);
    if (va <= 0) return 3;
    auto* buf = reinterpret_cast<volatile char*>(va);
    auto dma_read = [&](uint64_t offset, uint64_t length, uint64_t target) {
        q = svc::Message{};
        q.label = proto::kReadDma;
        q.words[0] = selector;
        q.words[1] = offset;
        q.words[2] = length;
        q.words[3] = target;
        if (svc::call(1, q, r, 5000) != 0) return warden::Error::kTimedOut;
        return static_cast<warden::Error>(r.label);
    };
    const bool whole =
        dma_read(0, 4096, phys) == warden::Error{} && r.words[0] == size && buf[0] == 'w' && buf[7] == 'f';
    const bool offset = dma_read(7, 6, phys + 100) == warden::Error{} && r.words[0] == 6 && buf[100] == 'f' &&
                        buf[105] == 'g' && buf[106] == '\0';
    const bool refused = dma_read(0, 16, 0x100000) == warden::Error::kDenied &&   // not its memory
                         dma_read(0, 16, phys + 4090) == warden::Error::kDenied;  // runs past its buffer
    svc::log("DMA reads: whole {}, from an offset {}, elsewhere refused {}", whole ? "ok" : "WRONG",
             offset ? "ok" : "WRONG", refused ? "ok" : "WRONG");
    return whole && offset && refused ? 0 : 4;
}
