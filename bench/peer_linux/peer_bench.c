/* The peer benchmark (issue 20; tools/bench_peer.py): /init of a Debian 12
 * kernel booted under the same QEMU as Warden. It times, in TSC cycles per
 * operation, what Warden's bench-ipc task times (services/bench/ipc_bench.cpp):
 * a null system call (getppid), a same-CPU round trip between two processes
 * over two pipes (two address-space switches, as Warden's call/reply between
 * two tasks), the same between two threads of one process (no address-space
 * switch), and the process round trip across two CPUs. One line per figure,
 * "peer: NAME N cycles/op", then the VM powers off. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRounds = 2000, kNullCalls = 20000 };

static uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) printf("peer: cannot pin to CPU %d\n", cpu);
}

/* The echo side: a byte in, the byte back, kRounds + 1 times (one warm-up). */
static void echo(int in, int out) {
    char b;
    for (int i = 0; i <= kRounds; ++i) {
        if (read(in, &b, 1) != 1 || write(out, &b, 1) != 1) _exit(1);
    }
}

static uint64_t ping(int out, int in) {
    char b = 'x';
    if (write(out, &b, 1) != 1 || read(in, &b, 1) != 1) return 0;  /* warm-up */
    const uint64_t t0 = rdtsc();
    for (int i = 0; i < kRounds; ++i) {
        if (write(out, &b, 1) != 1 || read(in, &b, 1) != 1) return 0;
    }
    return (rdtsc() - t0) / kRounds;
}

static uint64_t process_round_trip(int echo_cpu) {
    int to[2], from[2];
    if (pipe(to) || pipe(from)) return 0;
    const pid_t child = fork();
    if (child == 0) {
        pin(echo_cpu);
        echo(to[0], from[1]);
        _exit(0);
    }
    const uint64_t cycles = ping(to[1], from[0]);
    waitpid(child, NULL, 0);
    close(to[0]), close(to[1]), close(from[0]), close(from[1]);
    return cycles;
}

static int thread_pipes[4];
static void* echo_thread(void* arg) {
    (void)arg;
    pin(0);
    echo(thread_pipes[0], thread_pipes[3]);
    return NULL;
}

static uint64_t thread_round_trip(void) {
    if (pipe(thread_pipes) || pipe(thread_pipes + 2)) return 0;
    pthread_t t;
    if (pthread_create(&t, NULL, echo_thread, NULL) != 0) return 0;
    const uint64_t cycles = ping(thread_pipes[1], thread_pipes[2]);
    pthread_join(t, NULL);
    return cycles;
}

int main(void) {
    cpu_set_t online;  /* no /sys here for sysconf: the CPUs the kernel lets this task run on */
    const int cpus = sched_getaffinity(0, sizeof online, &online) == 0 ? CPU_COUNT(&online) : 1;
    pin(0);
    syscall(SYS_getppid);
    uint64_t t0 = rdtsc();
    for (int i = 0; i < kNullCalls; ++i) syscall(SYS_getppid);
    const uint64_t null_call = (rdtsc() - t0) / kNullCalls;
    printf("peer: null_syscall %llu cycles/op\n", (unsigned long long)null_call);
    printf("peer: pipe_rt_process_same_cpu %llu cycles/op\n", (unsigned long long)process_round_trip(0));
    printf("peer: pipe_rt_thread_same_cpu %llu cycles/op\n", (unsigned long long)thread_round_trip());
    if (cpus > 1)
        printf("peer: pipe_rt_process_cross_cpu %llu cycles/op\n", (unsigned long long)process_round_trip(1));
    printf("peer: done\n");
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
