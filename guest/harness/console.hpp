// The harness guest's console: whole lines to COM1, each one `rep outsb`
// (one #VC, one IOIO exit through the GHCB), under a lock shared by the vCPUs
// so that lines do not interleave.
#pragma once

#include <string_view>

#include "warden/format.hpp"

namespace harness {

void write_line(std::string_view line);  // line ends in '\n'

template <warden::fmt::Formattable... Args>
void log(warden::fmt::FormatString<std::type_identity_t<Args>...> text, const Args&... args) {
    warden::fmt::FixedString<240> line;
    warden::fmt::format(line, text, args...);
    line.write("\n");
    write_line(line.view());
}

}  // namespace harness
