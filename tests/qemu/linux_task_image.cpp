// The Linux personality's boot test (services/tests/linux_hello.cpp): a
// static glibc program as a Linux task must exit 0 (its own checks held)
// and give back every frame it was charged (its break's pages among them).
#include "task/sched.hpp"
#include "task/task.hpp"
#include "test/ktest.hpp"

KTEST("linux: a static glibc program runs as a Linux task, passes its checks and gives back its memory") {
    warden::task::Task* t = warden::task::find_task("linux-hello");
    if (!KCHECK(t != nullptr)) return;
    KCHECK(warden::task::sched::run_until(warden::task::task_reclaimed, t, 30'000'000));
    KCHECK(t->state == warden::task::State::kExited);
    KCHECK(t->exit_code == 0);
    KCHECK(t->brk_mapped > t->brk_base);  // its heap came from the break
    KCHECK(t->frames_held() == 0);
}

KTEST("vtpm: libtpms as a Linux task starts, makes the EK and answers TPM commands through a lend") {
    warden::task::Task* client = warden::task::find_task("vtpm-client");
    warden::task::Task* vtpm = warden::task::find_task("vtpm");
    if (!KCHECK((client != nullptr && vtpm != nullptr))) return;
    KCHECK(warden::task::sched::run_until(warden::task::task_ended, client, 120'000'000));
    KCHECK((client->state == warden::task::State::kExited && client->exit_code == 0));
    KCHECK(vtpm->state != warden::task::State::kFaulted);
}
