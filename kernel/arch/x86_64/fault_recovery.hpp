// Recoverable faults: run a function so that an exception inside it returns
// to the caller with a report instead of stopping the system. The boot tests
// use it to check fault reports; later, copies from guest memory will too.
#pragma once

#include <cstdint>
#include <string_view>

namespace warden::arch {

struct FaultReport {
    unsigned vector = 0;
    uint64_t error_code = 0;
    uint64_t rip = 0;
    uint64_t cr2 = 0;
    uint64_t handler_rsp = 0;  // a stack address inside the handler: proves IST use
    char text[320] = {};       // the report as printed
    std::string_view view() const;
};

// Runs fn(arg). Returns true if it faulted (report filled), false otherwise.
// Not reentrant; one catcher per CPU, and faults of tasks are never caught.
bool run_catching_faults(void (*fn)(void*), void* arg, FaultReport& report);

// For the exception handler: if a catcher is armed, stores the report and
// resumes after run_catching_faults (does not return). Otherwise returns.
void resume_if_catching(unsigned vector, uint64_t error_code, uint64_t rip, uint64_t cr2, uint64_t handler_rsp,
                        std::string_view text);

// Runs fn(arg) on another stack (top = its highest address, 16-aligned).
extern "C" void call_on_stack(void (*fn)(void*), void* arg, uint64_t stack_top);

}  // namespace warden::arch
