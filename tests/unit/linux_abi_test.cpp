// The Linux personality's rules (lib/warden/linux/abi.hpp), against the
// documents: the psABI's initial stack, Linux's numbers and errno values
// (typed in from syscall_64.tbl and errno-base.h), brk's and mprotect's
// rules as the personality states them.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "warden/linux/abi.hpp"

using namespace warden;
using namespace warden::linux_abi;

namespace {
uint64_t word(const std::vector<uint8_t>& s, uint64_t base, uint64_t va) {
    uint64_t v;
    std::memcpy(&v, s.data() + (va - base), 8);
    return v;
}
}  // namespace

TEST_CASE("linux abi: the numbers of syscall_64.tbl and errno-base.h") {
    CHECK(kWrite == 1);
    CHECK(kMprotect == 10);
    CHECK(kBrk == 12);
    CHECK(kArchPrctl == 158);
    CHECK(kFutex == 202);
    CHECK(kClockGettime == 228);
    CHECK(kExitGroup == 231);
    CHECK(kGetrandom == 318);
    CHECK(kRseq == 334);
    CHECK(kEnosys == 38);
    CHECK(kEnotty == 25);
    CHECK(std::string(call_name(kSetRobustList)) == "set_robust_list");
    CHECK(call_name(999) == nullptr);
}

TEST_CASE("linux abi: refused calls answer the errno that sends glibc and OpenSSL to their fallbacks") {
    CHECK(refusal(kOpenat) == -kEnoent);  // OpenSSL's openssl.cnf
    CHECK(refusal(kReadlink) == -kEnoent);
    CHECK(refusal(kIoctl) == -kEnotty);  // stdio's isatty
    CHECK(refusal(kMmap) == -kEnomem);   // malloc falls back to brk
    CHECK(refusal(kRseq) == -kEnosys);
    CHECK(refusal(kSetRobustList) == -kEnosys);
    CHECK(refusal(57) == -kEnosys);  // fork
    CHECK(refusal(~0ull) == -kEnosys);
}

TEST_CASE("linux abi: the initial stack of the psABI: argc, argv, envp, auxv, AT_RANDOM's bytes") {
    constexpr uint64_t kTop = 0x7fff00000000, kSize = 4096;
    std::vector<uint8_t> s(kSize, 0xcc);
    StartInfo info{.phdr = 0x400040, .phnum = 10, .entry = 0x401540, .argv0 = "vtpm"};
    for (size_t i = 0; i < 16; ++i) info.random[i] = static_cast<uint8_t>(i + 1);
    auto rsp = build_start_stack(s, kTop, info);
    REQUIRE(rsp.ok());
    const uint64_t base = kTop - kSize;
    CHECK(*rsp % 16 == 0);
    CHECK(word(s, base, *rsp) == 1);  // argc
    const uint64_t argv0 = word(s, base, *rsp + 8);
    CHECK(std::string(reinterpret_cast<const char*>(s.data() + (argv0 - base))) == "vtpm");
    CHECK(word(s, base, *rsp + 16) == 0);  // argv's end
    CHECK(word(s, base, *rsp + 24) == 0);  // envp's end
    // The auxiliary vector, pairs until AT_NULL.
    std::vector<std::pair<uint64_t, uint64_t>> aux;
    for (uint64_t at = *rsp + 32;; at += 16) {
        aux.emplace_back(word(s, base, at), word(s, base, at + 8));
        if (aux.back().first == kAtNull) break;
        REQUIRE(aux.size() < 16);
    }
    auto find = [&](uint64_t type) -> uint64_t {
        for (auto& [t, v] : aux)
            if (t == type) return v;
        return ~0ull;
    };
    CHECK(find(kAtPhdr) == 0x400040);
    CHECK(find(kAtPhent) == 56);
    CHECK(find(kAtPhnum) == 10);
    CHECK(find(kAtPagesz) == 4096);
    CHECK(find(kAtEntry) == 0x401540);
    const uint64_t random = find(kAtRandom);
    REQUIRE(random != ~0ull);
    for (size_t i = 0; i < 16; ++i) CHECK(s[random - base + i] == i + 1);
    CHECK(find(33) == ~0ull);  // no AT_SYSINFO_EHDR: there is no vDSO
    // Everything lies in the stack, above RSP.
    CHECK(argv0 > *rsp);
    CHECK(random + 16 <= kTop);
}

TEST_CASE("linux abi: the initial stack refuses what does not fit") {
    std::vector<uint8_t> s(64);
    CHECK(build_start_stack(s, 0x7fff00000000, StartInfo{.argv0 = "x"}).error() == Error::kOverflow);
    std::vector<uint8_t> big(4096);
    CHECK(build_start_stack(big, 0x7fff00000000, StartInfo{.argv0 = std::string(65, 'a')}).error() ==
          Error::kInvalidArgument);
    CHECK(build_start_stack(big, 0x7fff00000008, StartInfo{.argv0 = "x"}).error() ==
          Error::kOverflow);  // top unaligned
}

TEST_CASE("linux abi: brk moves within its range; brk(0) and anything outside answer the current break") {
    const Break b{.base = 0x500000, .current = 0x520000, .limit = 0x4500000};
    CHECK(brk_target(b, 0) == 0x520000);
    CHECK(brk_target(b, 0x530000) == 0x530000);
    CHECK(brk_target(b, 0x500000) == 0x500000);    // back to the start
    CHECK(brk_target(b, 0x4500000) == 0x4500000);  // up to the limit
    CHECK(brk_target(b, 0x4500001) == 0x520000);   // past it: unchanged
    CHECK(brk_target(b, 0x4ff000) == 0x520000);    // below the base: unchanged
    CHECK(brk_target(b, ~0ull) == 0x520000);
}

TEST_CASE("linux abi: mprotect only takes rights away, and never grants execution") {
    int64_t err = 0;
    CHECK(*check_mprotect(0x4a0000, 0x4000, kProtRead, err) == Protect::kReadOnly);
    CHECK(*check_mprotect(0x4a0000, 1, kProtRead | kProtWrite, err) == Protect::kKeepWritable);
    CHECK(check_mprotect(0x4a0000, 0x1000, kProtRead | kProtExec, err).error() == Error::kDenied);
    CHECK(err == -kEacces);
    CHECK(check_mprotect(0x4a0000, 0x1000, kProtRead | kProtWrite | kProtExec, err).error() == Error::kDenied);
    CHECK(check_mprotect(0x4a0010, 0x1000, kProtRead, err).error() == Error::kInvalidArgument);  // misaligned
    CHECK(err == -kEinval);
    CHECK(check_mprotect(0x4a0000, 0, kProtRead, err).error() == Error::kInvalidArgument);
    CHECK(check_mprotect(0x4a0000, ~0ull, kProtRead, err).error() == Error::kInvalidArgument);  // wraps
    CHECK(check_mprotect(0x4a0000, 0x1000, 0, err).error() == Error::kInvalidArgument);         // PROT_NONE
    CHECK(check_mprotect(0x4a0000, 0x1000, 8, err).error() == Error::kInvalidArgument);         // unknown bit
    CHECK(check_mprotect(0x4a0000, 0x1000, kProtWrite, err).error() == Error::kInvalidArgument);
}

TEST_CASE("linux abi: clocks count from the boot in seconds and nanoseconds; unknown clocks refused") {
    auto t = clock_time(1, 2'500'000'123, 1'000'000'000);
    REQUIRE(t.ok());
    CHECK(t->sec == 2);
    CHECK(t->nsec == 500'000'123);
    auto odd = clock_time(0, 3 * 2'600'000'000ull + 1'300'000'000ull, 2'600'000'000ull);
    CHECK((odd->sec == 3 && odd->nsec == 500'000'000));
    CHECK(clock_time(7, ~0ull, 1)->sec == static_cast<int64_t>(~0ull));
    CHECK(clock_time(8, 1, 1).error() == Error::kInvalidArgument);
    CHECK(clock_time(1, 1, 0).error() == Error::kInvalidArgument);
}

TEST_CASE("linux abi: written bytes become lines: split at newlines, empty ones dropped, long ones cut") {
    std::vector<std::string> lines;
    auto collect = [&](std::span<const char> l) { lines.emplace_back(l.data(), l.size()); };
    const std::string text = "hello\n\nworld\nabcdefghij-tail";
    for_each_line(std::span<const char>(text.data(), text.size()), 5, collect);
    CHECK(lines == std::vector<std::string>{"hello", "world", "abcde", "fghij", "-tail"});
    lines.clear();
    for_each_line(std::span<const char>(), 5, collect);
    CHECK(lines.empty());
}
