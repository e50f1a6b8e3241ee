// The attestation path from a CPL3 task on the emulated SNP host
// (services/tests/attest_report.cpp): its KTEST waits for the task and
// requires exit code 0; tests/snp/snp_run.py `report` checks the report it
// printed outside Warden.
#include "task/sched.hpp"
#include "task/task.hpp"
#include "test/ktest.hpp"

KTEST("snp attestation task: a kManifestVector task with the PSP's key gets its report through kGuestRequest") {
    warden::task::Task* t = warden::task::find_task("attest-report");
    if (!KCHECK(t != nullptr)) return;
    KCHECK(warden::task::sched::run_until(warden::task::task_ended, t, 30'000'000));
    KCHECK(t->state == warden::task::State::kExited);
    KCHECK(t->exit_code == 0);
}
