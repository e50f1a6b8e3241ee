// libFuzzer target: the Linux personality's rules (lib/warden/linux/abi.hpp)
// on a task's arguments. Invariants: the initial stack stays inside its
// buffer, RSP is 16-byte aligned and names argc = 1 and an argv[0] that is
// the string asked; brk's answer is the current break or an address in
// [base, limit]; mprotect never accepts PROT_EXEC, a misaligned address or
// unknown bits; a clock's nanoseconds are below 10^9; a write's lines cover
// exactly its bytes but the newlines, none empty, none longer than max.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "warden/linux/abi.hpp"

using namespace warden;
using namespace warden::linux_abi;

namespace {
uint64_t take(const uint8_t*& p, size_t& n) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8 && n > 0; ++i, ++p, --n) v |= uint64_t{*p} << (8 * i);
    return v;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const uint8_t* p = data;
    size_t n = size;
    const uint64_t a = take(p, n), b = take(p, n), c = take(p, n), d = take(p, n);

    // The initial stack: any size, top and argv0.
    const size_t stack_size = a % 8192;
    std::vector<uint8_t> stack(stack_size, 0);
    const uint64_t top = (b % (uint64_t{1} << 47)) & ((c & 1) ? ~uint64_t{0} : ~uint64_t{15});
    const std::string_view argv0(reinterpret_cast<const char*>(p), n < 80 ? n : 80);
    StartInfo info{.phdr = c, .phnum = d & 0xffff, .entry = d, .argv0 = argv0};
    if (auto rsp = build_start_stack(stack, top, info)) {
        const uint64_t base = top - stack_size;
        if (*rsp % 16 != 0 || *rsp < base || *rsp + 8 > top) __builtin_trap();
        uint64_t argc, argv;
        std::memcpy(&argc, stack.data() + (*rsp - base), 8);
        std::memcpy(&argv, stack.data() + (*rsp - base) + 8, 8);
        if (argc != 1 || argv < base || argv + argv0.size() + 1 > top) __builtin_trap();
        if (std::memcmp(stack.data() + (argv - base), argv0.data(), argv0.size()) != 0 ||
            stack[argv - base + argv0.size()] != 0)
            __builtin_trap();
    }

    // brk.
    const Break brk{.base = a, .current = b, .limit = a + (c % (uint64_t{1} << 40))};
    const uint64_t moved = brk_target(brk, d);
    if (moved != brk.current && (moved < brk.base || moved > brk.limit)) __builtin_trap();

    // mprotect.
    int64_t err = 0;
    if (check_mprotect(a, b, c, err)) {
        if ((c & kProtExec) || (a & 0xfff) || (c & ~uint64_t{7}) || b == 0) __builtin_trap();
    } else if (err != -kEinval && err != -kEacces) {
        __builtin_trap();
    }

    // Clocks.
    if (auto t = clock_time(a, b, c)) {
        if (t->nsec < 0 || t->nsec >= 1'000'000'000) __builtin_trap();
    }

    // Lines of a write.
    const size_t max = 1 + d % 300;
    const std::span<const char> text(reinterpret_cast<const char*>(p), n);
    size_t bytes = 0, newlines = 0;
    for (char ch : text) newlines += ch == '\n';
    for_each_line(text, max, [&](std::span<const char> line) {
        if (line.empty() || line.size() > max) __builtin_trap();
        for (char ch : line)
            if (ch == '\n') __builtin_trap();
        bytes += line.size();
    });
    if (bytes + newlines != text.size()) __builtin_trap();
    return 0;
}
