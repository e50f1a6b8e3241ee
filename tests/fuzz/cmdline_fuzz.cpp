// libFuzzer target: the kernel command line (loader input).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "warden/cmdline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const warden::CommandLine c(text);
    const std::string_view v = c.value("warden.exit_when_ready");
    // A value, when found, is a slice of the input.
    if (!v.empty() && (v.data() < text.data() || v.data() + v.size() > text.data() + text.size())) __builtin_trap();
    (void)c.has("warden.test");
    return 0;
}
