// run_catching_faults: a saved context the exception handler can resume.
#include "arch/x86_64/fault_recovery.hpp"

#include "arch/x86_64/percpu.hpp"

namespace warden::arch {

// Layout shared with fault_recovery.S.
struct JumpContext {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

namespace {

// One catcher per CPU: a fault on another CPU must never resume this one.
JumpContext* armed[kMaxCpus];
FaultReport* armed_report[kMaxCpus];

}  // namespace
}  // namespace warden::arch

extern "C" [[gnu::returns_twice]] int fault_context_save(warden::arch::JumpContext* ctx);
extern "C" [[noreturn]] void fault_context_resume(const warden::arch::JumpContext* ctx);

namespace warden::arch {

std::string_view FaultReport::view() const {
    size_t n = 0;
    while (n < sizeof text && text[n] != '\0') ++n;
    return {text, n};
}

bool run_catching_faults(void (*fn)(void*), void* arg, FaultReport& report) {
    JumpContext ctx{};
    if (fault_context_save(&ctx) != 0) return true;  // resumed by the handler
    const unsigned me = this_cpu().index;
    armed_report[me] = &report;
    armed[me] = &ctx;
    fn(arg);
    armed[me] = nullptr;
    armed_report[me] = nullptr;
    return false;
}

void resume_if_catching(unsigned vector, uint64_t error_code, uint64_t rip, uint64_t cr2, uint64_t handler_rsp,
                        std::string_view text) {
    const unsigned me = this_cpu().index;
    JumpContext* ctx = armed[me];
    if (ctx == nullptr) return;
    armed[me] = nullptr;
    FaultReport& r = *armed_report[me];
    r.vector = vector;
    r.error_code = error_code;
    r.rip = rip;
    r.cr2 = cr2;
    r.handler_rsp = handler_rsp;
    size_t n = text.size() < sizeof r.text - 1 ? text.size() : sizeof r.text - 1;
    for (size_t i = 0; i < n; ++i) r.text[i] = text[i];
    r.text[n] = '\0';
    fault_context_resume(ctx);
}

}  // namespace warden::arch
