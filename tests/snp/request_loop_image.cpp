// The request loop on SNP (issue 17 section 3): a VMPL2 context on vCPU 0,
// attached to this CPU as the loader's start attaches the guest's BSP, is
// run by request_loop0 through kGuestRun (RUN_VMPL). Its QUERY_PROTOCOL
// through its Calling Area is served from its VMSA page and answered there
// (RAX, RCX) with call_pending cleared; the same call made ready but left
// by a HLT (VMPL0 runs on its interrupt: no VMGEXIT, so no request) is not
// served until its VMGEXIT; a switch back without call_pending gets no
// answer, and the loop runs it again.
#include "svsm/guest.hpp"
#include "task/sched.hpp"
#include "test/ktest.hpp"
#include "vmpl1_guest.hpp"

extern "C" const uint8_t svsm_call_stub_start[], svsm_call_stub_end[];

namespace {

using namespace warden;

struct Calls {
    uint64_t caa, result, rcx, pending_after, rax_after_nocall, nocall_rounds;
    uint64_t rax_after_hlt, pending_after_hlt, result_after_hlt, pending_after_vmgexit;
};
constexpr size_t kCallsOffset = 128;  // svsm_call_stub.S

bool rounds_done(void* p) { return static_cast<volatile Calls*>(p)->nocall_rounds >= 3; }

}  // namespace

KTEST("snp request loop: the guest VMPL's call is served from its VMSA page; an exit that is no VMGEXIT, or a switch "
      "without call_pending, is not") {
    const PhysAddr page = guest::memory().base + (uint64_t{8} << 20);  // guest RAM nothing else here uses
    auto v = guest::pvalidate(page, true, true);
    if (!KCHECK(v && *v == svsm::PvalidateOutcome::kChanged)) return;
    const PhysAddr caa = page + 0x1000;
    const std::span<const uint8_t> stub(svsm_call_stub_start,
                                        static_cast<size_t>(svsm_call_stub_end - svsm_call_stub_start));
    auto world = vmpl1::build(guest::vmpl(), arch::apic::this_apic_id(), stub);
    if (!KCHECK(world.ok())) return;
    auto* calls = reinterpret_cast<volatile Calls*>(reinterpret_cast<uint8_t*>(world->data) + kCallsOffset);
    calls->caa = caa.raw();
    calls->rax_after_nocall = ~uint64_t{0};
    calls->rax_after_hlt = ~uint64_t{0};
    calls->result_after_hlt = ~uint64_t{0};
    if (!KCHECK(guest::attach_vcpu(arch::apic::this_apic_id(), world->vmsa, true, caa).ok())) return;
    KCHECK(task::sched::run_until(rounds_done, const_cast<Calls*>(calls), 5'000'000));
    log::raw("snp-loop: QUERY_PROTOCOL answered RAX {:#x} RCX {:#x}, call_pending after {}", calls->result, calls->rcx,
             calls->pending_after);
    log::raw("snp-loop: a HLT with the call ready left RAX {:#x}, call_pending {}; its VMGEXIT then: RAX {:#x}, "
             "call_pending {}",
             calls->rax_after_hlt, calls->pending_after_hlt, calls->result_after_hlt, calls->pending_after_vmgexit);
    log::raw("snp-loop: a switch without call_pending left RAX {:#x}; {} such switches run again",
             calls->rax_after_nocall, calls->nocall_rounds);
    KCHECK(calls->result == svsm::kSuccess);
    KCHECK(calls->rcx == (uint64_t{1} << 32 | 1));
    KCHECK(calls->pending_after == 0);
    KCHECK(calls->rax_after_hlt == svsm::call_rax(svsm::kProtocolCore, 6));
    KCHECK(calls->pending_after_hlt == 1);
    KCHECK(calls->result_after_hlt == svsm::kSuccess);
    KCHECK(calls->pending_after_vmgexit == 0);
    KCHECK(calls->rax_after_nocall == 0x1234);
}
