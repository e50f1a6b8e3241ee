// Waits for the IPC benchmark service to finish (it logs its own figures) and
// checks it saw no failed call.
#include "task/sched.hpp"
#include "task/task.hpp"
#include "test/ktest.hpp"

using namespace warden;

KTEST("bench: tasks and IPC") {
    task::Task* b = task::find_task("bench-ipc");
    KCHECK(b != nullptr);
    if (b == nullptr) return;
    const bool done = task::sched::run_until(
        [](void* p) { return static_cast<task::Task*>(p)->state == task::State::kExited; }, b, 120'000'000);
    KCHECK(done);
    KCHECK(b->exit_code == 0);
}
