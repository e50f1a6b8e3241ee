// Test service: asks the fw_cfg service for opt/warden/test (passed by the
// QEMU suite with -fw_cfg) and checks its first bytes. Exit 0 on a match.
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
    return match ? 0 : 1;
}
