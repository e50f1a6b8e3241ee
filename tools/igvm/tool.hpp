// warden-igvm's shared pieces: byte buffers, fatal errors, files, SHA-384
// (OpenSSL), and the three commands main.cpp dispatches to.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "warden/addr.hpp"
#include "warden/igvm/snp_launch.hpp"

namespace warden::tool {

using Bytes = std::vector<uint8_t>;
using Digest = std::array<uint8_t, 48>;

[[noreturn]] void die(const std::string& msg);
Bytes read_file(const std::string& path);
void write_file(const std::string& path, std::span<const uint8_t> bytes);
Digest sha384(std::span<const uint8_t> data);
std::string hex_range(PhysRange r);

// Appends v little endian (the IGVM bodies are built field by field).
template <typename T>
void append(Bytes& b, T v) {
    for (size_t i = 0; i < sizeof(T); ++i) b.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
}

struct PackOptions {
    // Where the SVSM memory starts (the image at its bottom): above all guest
    // RAM by default, as COCONUT-SVSM's igvmbuilder places its kernel area
    // for QEMU, so that no RAM map the guest's firmware reads holds it
    // (docs/igvm.md, "Guest physical layout").
    uint64_t svsm_base = uint64_t{512} << 30;
    uint64_t svsm_mib = 32;
    unsigned c_bit = 51;
    uint64_t policy = igvm::kDefaultPolicy;
    std::string firmware;  // an OVMF image to pack at the top of 4 GiB; empty: none
};

int pack(const std::string& kernel, const std::string& out, const PackOptions& opt);
int measure(const std::string& path, const igvm::LaunchConfig& config);
int dump(const std::string& path);

}  // namespace warden::tool
