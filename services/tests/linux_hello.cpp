// Test program: a static glibc executable (Debian's libc.a, linked as it
// is) run as a Linux task (kManifestLinux; docs/tasks.md "Linux tasks").
// It uses what libtpms and libcrypto use -- TLS, malloc past the mmap
// threshold, stdio, getrandom, the clocks -- checks the calls Warden
// refuses answer the errno glibc expects, makes one of Warden's own calls,
// and exits 0 only when every check held (the boot test requires it).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "manifest_note.hpp"
#include "warden/linux/abi.hpp"

WARDEN_SERVICE_MANIFEST(.name = "linux-hello", .serves = "", .uses = {}, .ports = {}, .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestLinux);

namespace {

thread_local int tls_value = 41;
int failed = 0;

void check(bool ok, const char* what) {
    printf("%s: %s\n", what, ok ? "yes" : "NO");
    if (!ok) ++failed;
}

long warden_call(warden::abi::Sys n) { return syscall(warden::linux_abi::kWardenCallBase + static_cast<long>(n)); }

}  // namespace

int main(int argc, char** argv) {
    setvbuf(stdout, nullptr, _IOLBF, 0);  // a line per write: the log shows each as it comes
    check(argc == 1 && strcmp(argv[0], "linux-hello") == 0, "argv[0] is the task's name");
    check(++tls_value == 42, "thread-local storage through arch_prctl(ARCH_SET_FS)");
    // Past glibc's mmap threshold: mmap is refused (ENOMEM), malloc takes the break.
    auto* big = static_cast<unsigned char*>(malloc(3 << 20));
    bool filled = big != nullptr;
    if (big) {
        memset(big, 0x5a, 3 << 20);
        filled = big[0] == 0x5a && big[(3 << 20) - 1] == 0x5a;
    }
    check(filled, "malloc of 3 MiB, from the break");
    free(big);
    unsigned char r[32] = {};
    const ssize_t got = getrandom(r, sizeof r, 0);
    int nonzero = 0;
    for (unsigned char b : r) nonzero += b != 0;
    check(got == 32 && nonzero > 16, "getrandom: 32 bytes from the CPU's DRNG");
    timespec a{}, b{};
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 100000; ++i) asm volatile("" ::: "memory");
    clock_gettime(CLOCK_MONOTONIC, &b);
    check(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec > a.tv_nsec), "CLOCK_MONOTONIC moves on");
    check(clock_gettime(42, &a) == -1 && errno == EINVAL, "an unknown clock: EINVAL");
    check(open("/usr/lib/ssl/openssl.cnf", O_RDONLY) == -1 && errno == ENOENT, "open: ENOENT (no files)");
    void* m = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(m == MAP_FAILED && errno == ENOMEM, "mmap: ENOMEM");
    static unsigned char page[8192] __attribute__((aligned(4096)));
    check(mprotect(page, 4096, PROT_READ | PROT_EXEC) == -1 && errno == EACCES, "mprotect to executable: EACCES");
    void* text = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(&check) & ~uintptr_t{0xfff});
    check(mprotect(text, 4096, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
          "mprotect of its text to writable: EACCES");
    check(mprotect(page + 4096, 4096, PROT_READ) == 0, "mprotect of a data page to read-only");
    check(fork() == -1 && errno == ENOSYS, "fork: ENOSYS");
    // Numbers no Linux has: ENOSYS, and one log line for all of them (a task cannot flood the log so).
    bool unknown = true;
    for (long n : {1000L, 2000L, 1000L, 0xffffL}) unknown &= syscall(n) == -1 && errno == ENOSYS;
    check(unknown, "unknown call numbers: ENOSYS");
    check(warden_call(warden::abi::Sys::kTicks) >= 0, "Warden's own call (ticks) at kWardenCallBase");
    printf("linux-hello: %d checks failed\n", failed);
    return failed == 0 ? 0 : 1;
}
