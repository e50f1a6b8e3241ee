// libFuzzer target: ACPI RSDP, root tables and MADT (firmware input).
#include <cstddef>
#include <cstdint>
#include <span>

#include "warden/acpi/madt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace warden::acpi;
    const std::span<const uint8_t> b(data, size);
    (void)find_rsdp(b);
    (void)parse_root_table(b, size % 2 == 0);
    if (auto m = parse_madt(b)) {
        if (m->cpu_count > Madt::kMaxCpus || m->enabled_count() > m->cpu_count) __builtin_trap();
    }
    return 0;
}
