// Service start-up from the embedded table.
#include "task/boot_tasks.hpp"

#include <cstring>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/tsc.hpp"
#include "log.hpp"
#include "platform/platform.hpp"
#include "task/log_ring.hpp"
#include "task/queue.hpp"
#include "task/sched.hpp"
#include "warden/elf.hpp"
#include "warden/ipc/system.hpp"

extern "C" const warden::task::EmbeddedService embedded_service_table[];
extern "C" const uint64_t embedded_service_count;

namespace warden::task {

std::span<const EmbeddedService> embedded_services() {
    return {embedded_service_table, static_cast<size_t>(embedded_service_count)};
}

namespace {

// kAnyCpu services go round the APs (the BSP runs the boot and its tests), or
// stay on the BSP when it is alone.
unsigned place(uint8_t wanted, unsigned online, unsigned& next_ap) {
    if (wanted != abi::kAnyCpu) return wanted < online ? wanted : 0;
    if (online == 1) return 0;
    const unsigned cpu = 1 + next_ap % (online - 1);
    ++next_ap;
    return cpu;
}

// The rights of the manifest, minted once: receive on the served queue
// (handle 0; one task serves a queue), send and call on the used ones
// (handles 1..4). A task gets no others, and passes none on.
Result<void> grant_rights(Task& task, const abi::Manifest& manifest) {
    WARDEN_TRY_VOID(ipc_add_task(task));
    if (manifest.serves[0] != '\0') {
        WARDEN_TRY(q, find_or_create_queue(manifest.serves));
        WARDEN_TRY_VOID(ipc_grant(task, 0, q, ipc::kRightReceive));
        if (manifest.flags & abi::kManifestRestartable) ipc_set_restartable(q);
    }
    for (size_t i = 0; i < abi::kMaxUses; ++i) {
        if (manifest.uses[i][0] == '\0') continue;
        WARDEN_TRY(q, find_or_create_queue(manifest.uses[i]));
        WARDEN_TRY_VOID(ipc_grant(task, i + 1, q, ipc::kRightSend));
    }
    return {};
}

// A task that never ran: nothing runs on its stack or tables.
Task* discard(Task& task) {
    task.state = State::kExited;
    release_task_memory(task);
    return nullptr;
}

Task* start_one(const char* file, std::span<const uint8_t> image, const abi::Manifest& manifest, unsigned cpu) {
    const uint64_t t0 = arch::rdtsc();
    auto t = create_task(image, manifest, cpu);
    const uint64_t create_us = arch::tsc_delta_us(t0, arch::rdtsc());
    if (!t) {
        log::error("tasks: {}: cannot create: {}", file, t.error());
        return nullptr;
    }
    Task& task = **t;
    task.file = file;
    task.image = image;
    task.manifest = manifest;
    if (auto rights = grant_rights(task, manifest); !rights) {
        log::error("tasks: {}: its rights cannot be granted: {}", task.name, rights.error());
        return discard(task);
    }
    if (manifest.flags & abi::kManifestConsole) {
        auto ring = log_ring::create();
        if (!ring || !map_shared(task, abi::kLogRingAddress, *ring, sizeof(abi::LogRing))) {
            log::error("tasks: {}: cannot map the log ring", task.name);
            return discard(task);
        }
    }
    if (manifest.flags & abi::kManifestGuest) {
        for (const platform::GuestRegion& g : platform::current().guest_regions()) {
            if (auto r = map_guest_memory(task, g.gpa, g.backing); !r) {
                log::error("tasks: {}: cannot map guest memory: {}", task.name, r.error());
                return discard(task);
            }
        }
    }
    log::info("tasks: {} (task {}) on cpu {}{}{}, created in {} us", task.name, task.id, cpu,
              manifest.serves[0] ? ", serves " : "", manifest.serves, create_us);
    return &task;
}

// "name@" -> "name<cpu>" (kManifestPerCpu); names without '@' stay as they are.
void per_cpu_name(char (&name)[abi::kNameBytes], unsigned cpu) {
    fmt::FixedString<abi::kNameBytes - 1> out;  // one byte stays for the NUL
    for (size_t i = 0; i < abi::kNameBytes && name[i] != '\0'; ++i) {
        if (name[i] == '@')
            fmt::format(out, "{}", cpu);
        else
            out.write(std::string_view(&name[i], 1));
    }
    std::memset(name, 0, sizeof name);
    std::memcpy(name, out.view().data(), out.view().size());
}

}  // namespace

bool restart_task(Task& ended) {
    if (!(ended.flags & abi::kManifestRestartable)) return false;
    const char* how = ended.state == State::kFaulted ? "faulted" : "exited";
    if (ended.restarts == kMaxRestarts) {
        log::error("tasks: {} {} and stays down: restarted {} times already", ended.name, how, kMaxRestarts);
        return false;
    }
    Task* fresh = start_one(ended.file, ended.image, ended.manifest, ended.cpu);
    if (fresh == nullptr) return false;  // start_one said why
    fresh->restarts = static_cast<uint8_t>(ended.restarts + 1);
    log::warn("tasks: {} {}: restarted as task {} on cpu {} with fresh memory (restart {} of {})", ended.name, how,
              fresh->id, fresh->cpu, fresh->restarts, kMaxRestarts);
    sched::make_ready(*fresh);
    return true;
}

unsigned start_boot_tasks(unsigned online) {
    unsigned started = 0, next_ap = 0;
    Task* created[64] = {};
    size_t n = 0;
    for (const EmbeddedService& s : embedded_services()) {
        const std::span<const uint8_t> image(s.data, static_cast<size_t>(s.size));
        auto parsed = elf::parse(image, abi::kTaskBase, abi::kTaskTop);
        if (!parsed) {
            log::error("tasks: {}: not a valid service image: {}", s.file, parsed.error());
            continue;
        }
        auto manifest = abi::parse_manifest(parsed->manifest);
        if (!manifest) {
            log::error("tasks: {}: bad or missing manifest: {}", s.file, manifest.error());
            continue;
        }
        if ((manifest->flags & abi::kManifestGuest) && !platform::current().tasks_play_the_guest()) {
            log::info("tasks: {} not started: the guest is a real lower VMPL here, no task plays it (docs/svsm.md)",
                      manifest->name);
            continue;
        }
        const bool per_cpu = manifest->flags & abi::kManifestPerCpu;
        for (unsigned instance = 0; instance < (per_cpu ? online : 1); ++instance) {
            abi::Manifest m = *manifest;
            if (per_cpu) {
                m.cpu = static_cast<uint8_t>(instance);
                per_cpu_name(m.name, instance);
                per_cpu_name(m.serves, instance);
                for (auto& use : m.uses) per_cpu_name(use, instance);
            }
            // A name is the writer's identity in the log ("[name] "): one task each.
            if (find_task(m.name) != nullptr) {
                log::error("tasks: {}: a task named {} exists already: not started", s.file, m.name);
                continue;
            }
            Task* task = start_one(s.file, image, m, place(m.cpu, online, next_ap));
            if (!task) continue;
            if (n < sizeof created / sizeof created[0]) created[n++] = task;
            ++started;
        }
    }
    // The ring first: a task that runs at once on another CPU must already log into it.
    if (find_task("console") != nullptr) log_ring::attach();
    for (size_t i = 0; i < n; ++i) {
        sched::make_ready(*created[i]);
    }
    return started;
}

}  // namespace warden::task
