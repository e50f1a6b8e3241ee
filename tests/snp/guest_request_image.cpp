// The SNP guest request end to end on the emulated SNP host (docs/attestation.md):
// Warden at VMPL0 seals MSG_REPORT_REQ under VMPCK0 of its secrets page
// (lib's guest side, sev/guest_msg.hpp, on Debian's libbearssl linked into
// this image), issues it through its GHCB (VMGEXIT 0x80000011), opens the
// response and prints the report; tests/snp/snp_run.py `report` has it
// checked outside Warden (tools/report: OpenSSL, the host's chip key and
// launch digest). Then what the PSP refuses at the mailbox (a replay, a
// bad tag: no response written) and in the response (a VMPL below the
// VMPCK's, a key_sel naming no key), and a response page in private memory
// (malformed input: the host would have written the guest's private memory).
#include <cstring>

#include "arch/x86_64/cpu.hpp"
#include "log.hpp"
#include "mm/frames.hpp"
#include "mm/address_space.hpp"
#include "mm/layout.hpp"
#include "platform/platform.hpp"
#include "test/ktest.hpp"
#include "warden/bytes.hpp"
#include "warden/crypto/bearssl_gcm.hpp"
#include "warden/sev/attestation_report.hpp"
#include "warden/sev/ghcb_msr.hpp"
#include "warden/sev/guest_msg.hpp"
#include "warden/sev/guest_request.hpp"
#include "warden/sev/secrets.hpp"

namespace sev = warden::sev;

namespace {

// VMGEXIT with the GHCB page the MSR names.
class ThisGhcb final : public sev::Hypervisor {
public:
    explicit ThisGhcb(uint64_t gpa) : gpa_(gpa) {}
    warden::Result<void> vmgexit(sev::Ghcb&) override {
        warden::arch::wrmsr(sev::msr::kGhcbMsr, gpa_);
        warden::arch::vmgexit();
        return {};
    }

private:
    uint64_t gpa_;
};

// This CPU's registered GHCB (the MSR holds its GPA between exits; the page
// is mapped shared in the direct map), used with interrupts off so that no
// #VC on this CPU reuses it meanwhile.
warden::Result<sev::GuestRequestReply> request(uint64_t req, uint64_t resp) {
    const bool interrupts = warden::arch::read_rflags() & (1u << 9);
    warden::arch::cli();
    const uint64_t gpa = warden::arch::rdmsr(sev::msr::kGhcbMsr);
    ThisGhcb hv(gpa);
    auto r = sev::guest_request(hv, *warden::mm::phys_to_virt<sev::Ghcb>(warden::PhysAddr(gpa)),
                                sev::GuestRequest{.request_gpa = req, .response_gpa = resp});
    if (interrupts) warden::arch::sti();
    return r;
}

// A frame shared with the hypervisor, its direct-map page without the C-bit
// (as the GHCB's): what the host reads and writes is what this image wrote.
warden::Result<warden::PhysAddr> shared_frame() {
    auto f = warden::mm::alloc_frames(0);
    if (!f.ok()) return f;
    WARDEN_TRY_VOID(warden::platform::current().make_shared(*f, 1));
    const auto va = reinterpret_cast<uint64_t>(warden::mm::phys_to_virt<uint8_t>(*f));
    WARDEN_TRY_VOID(warden::mm::kernel_mapper().protect(
        warden::VirtAddr(va), warden::kPageSize,
        warden::mm::MapFlags{.writable = true, .global = true, .encrypted = false}));
    return f;
}

// BearSSL's objects (built for glibc) read the stack protector's canary at
// %fs:0x28 and use SSE: around them here, interrupts off (their red zone),
// SSE on, FS.base at a block of this image's. Warden saves no task's SSE
// state, and no task runs on this CPU meanwhile.
struct alignas(64) CanaryBlock {
    uint64_t self = 0, unused[4] = {}, canary = 0x5eed'c0de'0bad'f00d;
};
CanaryBlock canary_block;

template <typename F>
auto with_crypto(F f) {
    constexpr uint32_t kFsBase = 0xc0000100;
    constexpr uint64_t kMp = 2, kEm = 4, kTs = 8, kOsfxsr = 1u << 9, kOsxmmexcpt = 1u << 10;
    namespace arch = warden::arch;
    const bool interrupts = arch::read_rflags() & (1u << 9);
    arch::cli();
    const uint64_t cr0 = arch::read_cr0(), cr4 = arch::read_cr4(), fs = arch::rdmsr(kFsBase);
    canary_block.self = reinterpret_cast<uint64_t>(&canary_block);
    arch::write_cr0((cr0 | kMp) & ~(kEm | kTs));  // TS: the kernel runs with the vector unit off
    arch::write_cr4(cr4 | kOsfxsr | kOsxmmexcpt);
    arch::wrmsr(kFsBase, canary_block.self);
    auto r = f();
    arch::wrmsr(kFsBase, fs);
    arch::write_cr4(cr4);
    arch::write_cr0(cr0);
    if (interrupts) arch::sti();
    return r;
}

std::span<uint8_t, 4096> page_of(warden::PhysAddr pa) {
    return std::span<uint8_t, 4096>(warden::mm::phys_to_virt<uint8_t>(pa), 4096);
}

sev::Vmpck vmpck(unsigned k) {
    sev::Vmpck key{};
    const auto s = warden::platform::current().secrets_page();
    for (size_t i = 0; i < key.size(); ++i) key[i] = s[sev::kSecretsVmpck0 + k * sev::kVmpckSize + i];
    return key;
}

warden::crypto::BearSslAes256Gcm gcm;
sev::MsgSequence sequence[sev::kVmpckCount];

// Seals a MSG_REPORT_REQ with this key's next number into `page`: its header.
sev::MsgHeader seal_report_request(warden::ktest::Context& ktest_ctx, std::span<uint8_t, 4096> page, unsigned k,
                                   const sev::ReportRequest& r) {
    const auto payload = sev::encode_report_request(r);
    const auto key = vmpck(k);
    const auto n = with_crypto([&] {
        return sev::seal_request(sev::kMsgReportReq, 1, static_cast<uint8_t>(k), payload, key, sequence[k], gcm, page);
    });
    KCHECK(n.ok());
    return sev::MsgHeader{sequence[k].last() + 1, sev::kMsgReportReq, 1, sev::kReportReqSize, static_cast<uint8_t>(k)};
}

struct Answer {
    uint64_t info2 = ~uint64_t{0};
    bool opened = false;
    uint32_t status = ~0u, report_size = 0;
};

// One exchange: the request page as it is, the response page 0xcc first.
Answer exchange(warden::ktest::Context& ktest_ctx, warden::PhysAddr req, warden::PhysAddr resp, const sev::MsgHeader& h,
                std::array<uint8_t, sev::kReportRspSize>& out) {
    std::memset(page_of(resp).data(), 0xcc, 4096);
    Answer a;
    auto reply = request(req.raw(), resp.raw());
    if (!KCHECK(reply.ok()) || !KCHECK(reply->info1 == 0)) return a;
    a.info2 = reply->info2;
    if (a.info2 != 0) {
        bool untouched = true;
        for (uint8_t b : page_of(resp)) untouched &= b == 0xcc;
        KCHECK(untouched);  // a refusal writes no response
        return a;
    }
    const auto key = vmpck(h.vmpck);
    const auto opened =
        with_crypto([&] { return sev::open_response(page_of(resp), h, key, sequence[h.vmpck], gcm, out); });
    if (!KCHECK(opened.ok())) return a;
    a.opened = true;
    a.status = warden::load_le<uint32_t>(out, sev::kReportRspStatus);
    a.report_size = warden::load_le<uint32_t>(out, sev::kReportRspReportSize);
    return a;
}

void print_hex(std::string_view what, std::span<const uint8_t> bytes) {
    for (size_t at = 0; at < bytes.size(); at += 32) {
        char text[64];
        warden::log::raw("snp-psp: {} +{:#05x} {}", what, at, warden::to_hex(bytes.subspan(at), text));
    }
}

}  // namespace

KTEST("snp psp: MSG_REPORT_REQ under VMPCK0 is answered with a report, printed for the check outside Warden") {
    auto req = shared_frame();
    auto resp = shared_frame();
    if (!KCHECK(req.ok() && resp.ok())) return;
    sev::ReportRequest r;
    for (size_t i = 0; i < r.user_data.size(); ++i) r.user_data[i] = static_cast<uint8_t>(0xa5 ^ (7 * i));
    const auto h = seal_report_request(ktest_ctx, page_of(*req), 0, r);
    std::array<uint8_t, sev::kReportRspSize> rsp{};
    const Answer a = exchange(ktest_ctx, *req, *resp, h, rsp);
    warden::log::raw("snp-psp: report request: exit_info_2 {:#x}, response status {:#x}, report size {:#x}", a.info2,
                     a.status, a.report_size);
    if (!KCHECK(a.opened && a.status == 0 && a.report_size == sev::kReportSize)) return;
    const auto report = std::span<const uint8_t>(rsp).subspan(sev::kReportRspReport, sev::kReportSize);
    print_hex("report data", r.user_data);
    print_hex("report", report);
    KCHECK(report[sev::kReportVmpl] == 0);
    KCHECK(std::memcmp(report.data() + sev::kReportData, r.user_data.data(), r.user_data.size()) == 0);

    // The same page again: a replay, refused at the mailbox.
    std::array<uint8_t, sev::kReportRspSize> none{};
    const Answer replay = exchange(ktest_ctx, *req, *resp, h, none);
    warden::log::raw("snp-psp: the same request again: exit_info_2 {:#x}", replay.info2);
    KCHECK(replay.info2 == 0x1d);  // AEAD_OFLOW
    // The next one with a byte of its ciphertext changed: the tag does not hold.
    const auto h2 = seal_report_request(ktest_ctx, page_of(*req), 0, r);
    page_of(*req)[0x60] ^= 1;
    const Answer bad = exchange(ktest_ctx, *req, *resp, h2, none);
    warden::log::raw("snp-psp: a changed ciphertext: exit_info_2 {:#x}", bad.info2);
    KCHECK(bad.info2 == 0x0b);  // BAD_MEASUREMENT
    // Neither moved the sequence: the same number, sealed right, is answered.
    const auto h3 = seal_report_request(ktest_ctx, page_of(*req), 0, r);
    const Answer again = exchange(ktest_ctx, *req, *resp, h3, none);
    warden::log::raw("snp-psp: the next request: exit_info_2 {:#x}, response status {:#x}", again.info2, again.status);
    KCHECK(again.opened && again.status == 0);
}

KTEST("snp psp: a report request's own errors come back in the response") {
    auto req = shared_frame();
    auto resp = shared_frame();
    if (!KCHECK(req.ok() && resp.ok())) return;
    std::array<uint8_t, sev::kReportRspSize> rsp{};
    const Answer low = exchange(ktest_ctx, *req, *resp, seal_report_request(ktest_ctx, page_of(*req), 1, {.vmpl = 0}), rsp);
    warden::log::raw("snp-psp: VMPL 0 asked through VMPCK1: exit_info_2 {:#x}, response status {:#x}", low.info2,
                     low.status);
    KCHECK(low.opened && low.status == 0x16);  // INVALID_PARAM
    const Answer key = exchange(ktest_ctx, *req, *resp, seal_report_request(ktest_ctx, page_of(*req), 1, {.vmpl = 1, .key_sel = 3}), rsp);
    warden::log::raw("snp-psp: key_sel 3: exit_info_2 {:#x}, response status {:#x}", key.info2, key.status);
    KCHECK(key.opened && key.status == 0x27);  // INVALID_KEY
}

KTEST("snp negative: a guest request whose response page is private is malformed input") {
    auto req = shared_frame();
    auto private_resp = warden::mm::alloc_frames(0);
    if (!KCHECK(req.ok() && private_resp.ok())) return;
    auto bad = request(req->raw(), private_resp->raw());
    if (!KCHECK(bad.ok())) return;
    const auto refused = sev::guest_request_outcome(bad->info1, bad->info2, false);
    warden::log::raw("snp-negative: guest request to a private response page: exit_info_1 {:#x} exit_info_2 {:#x}: {}",
                     bad->info1, bad->info2, refused ? "success" : warden::error_name(refused.error()));
    KCHECK(bad->info1 == sev::kExitMalformedInput);
    KCHECK(bad->info2 == static_cast<uint64_t>(sev::InputError::kInvalidInput));
}
