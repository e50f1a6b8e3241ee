// libFuzzer target: the formatter's runtime half on arbitrary format strings
// and argument kinds. Format strings are compile-time checked in Warden's own
// code; this proves vformat is memory-safe whatever it is given.
#include <cstddef>
#include <cstdint>

#include "warden/format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden::fmt;
    if (size < 1) return 0;
    const size_t nargs = data[0] % 5;
    Arg args[4] = {to_arg(uint64_t{0xdeadbeef}), to_arg(int64_t{-12345}), to_arg(std::string_view("str")),
                   to_arg(reinterpret_cast<const void*>(0x1000))};
    char buf[64];
    BufferSink sink{std::span<char>(buf)};
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    vformat(sink, text, std::span<const Arg>(args, nargs < 4 ? nargs : 4));
    if (sink.view().size() > sizeof buf) __builtin_trap();
    (void)count_placeholders(text);
    return 0;
}
