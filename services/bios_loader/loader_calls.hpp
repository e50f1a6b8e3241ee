// What both BIOS loaders (services/bios_loader/ovmf, .../harness_guest) ask
// of the kernel's guest calls and of the fw_cfg service, written once. Each
// loader's manifest names fw_cfg as its first queue (uses[0], handle 1).
#pragma once

#include <cstring>

#include "service.hpp"
#include "warden/abi/fw_cfg_service.hpp"

namespace loader {

inline constexpr uint64_t kFwCfg = 1;  // handle of the fw_cfg queue (uses[0])
inline constexpr uint64_t kTimeoutMs = 5000;

inline warden::Result<void> syscall_result(int64_t r) {
    if (r < 0) return warden::Fail(static_cast<warden::Error>(-r));
    return {};
}

inline warden::Result<void> guest_write(uint64_t gpa, const void* data, uint64_t len) {
    return syscall_result(svc::syscall(warden::abi::Sys::kGuestWrite, gpa, reinterpret_cast<uint64_t>(data), len));
}

inline warden::Result<void> guest_read(uint64_t gpa, void* out, uint64_t len) {
    return syscall_result(svc::syscall(warden::abi::Sys::kGuestRead, gpa, reinterpret_cast<uint64_t>(out), len));
}

struct FwCfgFile {
    uint64_t selector = 0, size = 0;
};

inline warden::Result<FwCfgFile> look_up(const char* name) {
    namespace proto = warden::abi::fw_cfg_service;
    svc::Message q, r;
    q.label = proto::kLookup;
    std::memcpy(q.words, name, std::strlen(name));
    if (svc::call(kFwCfg, q, r, kTimeoutMs) != 0) return warden::Fail(warden::Error::kTimedOut);
    if (r.label != 0) return warden::Fail(static_cast<warden::Error>(r.label));
    return FwCfgFile{r.words[0], r.words[1]};
}

// n bytes of f from offset into the caller's DMA buffer at dma_phys, by the
// fw_cfg service (which checks the buffer is this task's).
inline warden::Result<void> read_chunk(const FwCfgFile& f, uint64_t offset, uint64_t n, uint64_t dma_phys) {
    namespace proto = warden::abi::fw_cfg_service;
    svc::Message q, r;
    q.label = proto::kReadDma;
    q.words[0] = f.selector;
    q.words[1] = offset;
    q.words[2] = n;
    q.words[3] = dma_phys;
    if (svc::call(kFwCfg, q, r, kTimeoutMs) != 0) return warden::Fail(warden::Error::kTimedOut);
    if (r.label != 0) return warden::Fail(static_cast<warden::Error>(r.label));
    if (r.words[0] != n) return warden::Fail(warden::Error::kTruncated);  // the file shrank under us
    return {};
}

}  // namespace loader
