// IPC: queues, rights and calls (docs/tasks.md, "Rights, calls and
// accounting"). The rules are lib's model (warden/ipc/system.hpp): one
// instance for the whole system behind one lock; this layer blocks and
// wakes the tasks it names. Every function takes the task that asks: the
// rights checked are its own, never what it passes.
#pragma once

#include "task/task.hpp"

namespace warden::task {

// ---- Setup, from the manifests (boot_tasks.cpp).
// The queue with that name (created on first use): its index, or kNoMemory
// when the table is full.
Result<size_t> find_or_create_queue(const char* name);
// t joins the IPC system (before any grant).
Result<void> ipc_add_task(Task& t);
// Handle h of t names queue q with abi-level rights (kRight*): receive on
// the served queue (one live task each: kAlreadyMapped otherwise), send on
// the used ones.
Result<void> ipc_grant(Task& t, size_t h, size_t q, uint8_t rights);
// Queue q outlives its server: its messages wait for the next instance.
void ipc_set_restartable(size_t q);

// ---- The system calls.
Result<void> ipc_send(Task& t, uint64_t h, const abi::Message& m);
// Blocks up to timeout_ticks (0: do not wait; abi::kForever: no limit).
Result<abi::Message> ipc_receive(Task& t, uint64_t h, uint64_t timeout_ticks);
// Sends, then blocks until the reply, the timeout (kTimedOut: the call is
// given up, a late reply reaches nobody) or the server's end (kPeerGone).
// lend_size bytes at lend (0: none) are the server's to read and write
// through its reply right while the call lasts (ipc_lent); the caller
// checked them.
Result<abi::Message> ipc_call(Task& t, uint64_t h, const abi::Message& m, uint64_t timeout_ticks, uint64_t lend = 0,
                              uint64_t lend_size = 0);
Result<void> ipc_reply(Task& t, uint64_t token, const abi::Message& m);
// Copies [offset, offset + len) of the memory lent with the call behind t's
// reply right `token` to t's memory at va (write: from it), while the caller
// waits for that call; returns the lent size. Errors as kLentRead's.
Result<uint64_t> ipc_lent(Task& t, uint64_t token, uint64_t offset, uint64_t va, uint64_t len, bool write);

// The kernel's own message (the console's doorbell): its share of the queue.
Result<void> kernel_send(const char* queue, const abi::Message& m);
// t exited or faulted: what it held goes; callers it held or had queued get kPeerGone now.
void ipc_task_ended(Task& t);

// For boot tests and reports.
size_t queued(const char* queue);
size_t reply_rights_held(const Task& t);
const char* ipc_broken_invariant();

}  // namespace warden::task
