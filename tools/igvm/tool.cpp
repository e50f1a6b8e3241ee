// Files, fatal errors and SHA-384 for warden-igvm.
#include "tool.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace warden::tool {

void die(const std::string& msg) {
    std::fprintf(stderr, "warden-igvm: %s\n", msg.c_str());
    std::exit(2);
}

Bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) die("cannot read " + path);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, std::span<const uint8_t> bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) die("cannot write " + path);
}

Digest sha384(std::span<const uint8_t> data) {
    Digest d{};
    unsigned len = 0;
    if (EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha384(), nullptr) != 1 || len != 48)
        die("SHA-384 failed");
    return d;
}

std::string hex_range(PhysRange r) {
    char s[48];
    std::snprintf(s, sizeof s, "%#llx..%#llx", static_cast<unsigned long long>(r.base.raw()),
                  static_cast<unsigned long long>(r.end().raw()));
    return s;
}

}  // namespace warden::tool
