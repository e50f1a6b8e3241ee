// `measure`: the SNP launch digest a QEMU 10.1 + KVM host's PSP computes for
// the file (lib/warden/igvm/snp_launch.hpp walks it; SHA-384 here): each page
// advances the digest by the SHA-384 of its PAGE_INFO (Firmware ABI 56860,
// SNP_LAUNCH_UPDATE; SPEC-FACTS.md 8).
#include <cstdio>
#include <memory>

#include "tool.hpp"

namespace warden::tool {
namespace {

class DigestSink final : public igvm::LaunchSink {
public:
    void page(igvm::SnpPageType type, uint64_t gpa, std::span<const uint8_t> contents) override {
        const Digest hashed = contents.empty() ? Digest{} : sha384(contents);
        digest_ = sha384(igvm::page_info(digest_, hashed, type, gpa));
    }
    const Digest& digest() const { return digest_; }

private:
    Digest digest_{};
};

}  // namespace

int measure(const std::string& path, const igvm::LaunchConfig& config) {
    const Bytes f = read_file(path);
    auto file = std::make_unique<igvm::File>();
    if (auto r = igvm::parse(f, *file); !r) die("not a valid IGVM file: " + std::string(error_name(r.error())));
    DigestSink sink;
    size_t at = 0;
    auto launch = igvm::plan_snp_launch(*file, f, config, sink, &at);
    if (!launch) {
        const std::string where = at < file->count ? "header " + std::to_string(at) : "the file";
        die(path + ": a QEMU 10.1 + KVM launch would refuse " + where +
            " or measure it in a way the public tools "
            "disagree on: " +
            error_name(launch.error()) + " (docs/igvm.md, \"What the host measures\")");
    }
    for (uint8_t b : sink.digest()) std::printf("%02x", b);
    std::printf("\n");
    return 0;
}

}  // namespace warden::tool
