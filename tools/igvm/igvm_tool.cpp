// warden-igvm: packs the kernel ELF into an IGVM file for SEV-SNP, prints
// its SNP launch digest as the PSP would compute it, and dumps IGVM headers.
//
//   warden-igvm pack KERNEL.elf OUT.igvm
//   warden-igvm measure FILE.igvm        (96 hex digits)
//   warden-igvm dump FILE.igvm
//
// The file format and PAGE_INFO layout are lib/warden/igvm; SHA-384 is
// OpenSSL's. See docs/igvm.md for what the image contains and what is missing.
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "warden/bytes.hpp"
#include "warden/elf.hpp"
#include "warden/igvm/igvm.hpp"
#include "warden/sev/vmsa.hpp"

namespace {

using namespace warden;
using Bytes = std::vector<uint8_t>;
using Digest = std::array<uint8_t, 48>;

constexpr uint32_t kMask = 1;            // compatibility mask: the one SNP platform
constexpr uint64_t kVmsaGpa = 0x802000;  // outside the image; see docs/igvm.md
constexpr uint64_t kSecretsGpa = 0x800000;
constexpr uint64_t kCpuidGpa = 0x801000;
constexpr uint64_t kParamGpa = 0x803000;  // the memory map parameter page
constexpr uint64_t kPage = 4096;

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "warden-igvm: %s\n", msg.c_str());
    std::exit(2);
}

Bytes read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) die(std::string("cannot read ") + path);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Digest sha384(std::span<const uint8_t> data) {
    Digest d{};
    unsigned len = 0;
    if (EVP_Digest(data.data(), data.size(), d.data(), &len, EVP_sha384(), nullptr) != 1 || len != 48)
        die("SHA-384 failed");
    return d;
}

template <typename T>
void append(Bytes& b, T v) {
    for (size_t i = 0; i < sizeof(T); ++i) b.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
}

// ELF symbol lookup would need the section table; the entry the packer needs
// is the PVH note's, which equals pvh_start32: read it from the note.
uint64_t pvh_entry(const Bytes& elf) {
    const uint64_t shoff = load_le<uint64_t>(elf, 0x28);
    const uint16_t shentsize = load_le<uint16_t>(elf, 0x3a), shnum = load_le<uint16_t>(elf, 0x3c);
    for (uint16_t i = 0; i < shnum; ++i) {
        const size_t at = shoff + size_t{i} * shentsize;
        if (at + 64 > elf.size() || load_le<uint32_t>(elf, at + 4) != 7) continue;  // SHT_NOTE
        const uint64_t off = load_le<uint64_t>(elf, at + 0x18), size = load_le<uint64_t>(elf, at + 0x20);
        for (uint64_t p = off; p + 12 <= off + size && p + 12 <= elf.size();) {
            const uint32_t namesz = load_le<uint32_t>(elf, p), descsz = load_le<uint32_t>(elf, p + 4);
            const uint32_t type = load_le<uint32_t>(elf, p + 8);
            const uint64_t desc = p + 12 + ((namesz + 3) & ~3u);
            if (type == 18 && descsz == 8 && desc + 8 <= elf.size()) return load_le<uint64_t>(elf, desc);
            p = desc + ((descsz + 3) & ~3u);
        }
    }
    die("no XEN_ELFNOTE_PHYS32_ENTRY note in the kernel");
}

int pack(const char* kernel_path, const char* out_path) {
    const Bytes elf = read_file(kernel_path);
    // The kernel is linked for physical addresses via p_paddr: walk PT_LOAD.
    const uint64_t phoff = load_le<uint64_t>(elf, 0x20);
    const uint16_t phnum = load_le<uint16_t>(elf, 0x38);
    Bytes buffer(64 << 20);
    igvm::Writer w(buffer, 256 << 10);  // room for ~10 000 headers
    auto add = [&](igvm::HeaderType t, const Bytes& body) {
        if (!w.add(t, body)) die("IGVM headers do not fit");
    };
    Bytes platform;
    append<uint32_t>(platform, kMask);
    append<uint8_t>(platform, 0);  // highest VTL
    append<uint8_t>(platform, igvm::kPlatformSevSnp);
    append<uint16_t>(platform, 1);  // platform version
    append<uint64_t>(platform, 0);  // shared GPA boundary
    add(igvm::HeaderType::kSupportedPlatform, platform);

    auto page_data = [&](uint64_t gpa, uint32_t file_offset, uint16_t data_type) {
        Bytes b;
        append<uint64_t>(b, gpa);
        append<uint32_t>(b, kMask);
        append<uint32_t>(b, file_offset);
        append<uint32_t>(b, 0);  // flags: 4 KiB, measured, private
        append<uint16_t>(b, data_type);
        append<uint16_t>(b, 0);
        add(igvm::HeaderType::kPageData, b);
    };
    uint64_t image_lo = ~uint64_t{0}, image_hi = 0, pages = 0;
    for (uint16_t i = 0; i < phnum; ++i) {
        const size_t at = phoff + size_t{i} * 56;
        if (load_le<uint32_t>(elf, at) != 1) continue;  // PT_LOAD
        const uint64_t offset = load_le<uint64_t>(elf, at + 8), paddr = load_le<uint64_t>(elf, at + 24);
        const uint64_t filesz = load_le<uint64_t>(elf, at + 32), memsz = load_le<uint64_t>(elf, at + 40);
        if (paddr % kPage != 0 || offset + filesz > elf.size()) die("unexpected segment layout");
        for (uint64_t p = 0; p < memsz; p += kPage) {
            Bytes page(kPage, 0);
            if (p < filesz) std::memcpy(page.data(), elf.data() + offset + p, std::min<uint64_t>(kPage, filesz - p));
            const bool zero = std::all_of(page.begin(), page.end(), [](uint8_t c) { return c == 0; });
            uint32_t file_offset = 0;
            if (!zero) {
                auto off = w.add_data(page);
                if (!off) die("IGVM data does not fit");
                file_offset = *off;
            }
            page_data(paddr + p, file_offset, igvm::kDataNormal);
            ++pages;
        }
        image_lo = std::min(image_lo, paddr);
        image_hi = std::max(image_hi, paddr + ((memsz + kPage - 1) & ~(kPage - 1)));
    }
    page_data(kSecretsGpa, 0, igvm::kDataSecrets);
    page_data(kCpuidGpa, 0, igvm::kDataCpuid);

    Bytes area, memmap, insert;
    append<uint64_t>(area, kPage);
    append<uint32_t>(area, 0);  // area index
    append<uint32_t>(area, 0);  // zero-filled
    add(igvm::HeaderType::kParameterArea, area);
    append<uint32_t>(memmap, 0);  // area index
    append<uint32_t>(memmap, 0);  // byte offset
    add(igvm::HeaderType::kMemoryMap, memmap);
    append<uint64_t>(insert, kParamGpa);
    append<uint32_t>(insert, kMask);
    append<uint32_t>(insert, 0);
    add(igvm::HeaderType::kParameterInsert, insert);

    Bytes required;
    append<uint64_t>(required, image_lo);
    append<uint32_t>(required, kMask);
    append<uint32_t>(required, static_cast<uint32_t>(image_hi - image_lo));
    append<uint32_t>(required, 0);
    append<uint32_t>(required, 0);
    add(igvm::HeaderType::kRequiredMemory, required);

    const auto vmsa = sev::make_vmsa_protected_mode(sev::VmsaState{.rip = pvh_entry(elf), .rbx = kParamGpa});
    auto vmsa_off = w.add_data(vmsa);
    if (!vmsa_off) die("IGVM data does not fit");
    Bytes vp;
    append<uint64_t>(vp, kVmsaGpa);
    append<uint32_t>(vp, kMask);
    append<uint32_t>(vp, *vmsa_off);
    append<uint16_t>(vp, 0);  // VP index 0
    append<uint16_t>(vp, 0);
    add(igvm::HeaderType::kVpContext, vp);

    auto file = w.finish();
    if (!file) die("cannot finish the IGVM file");
    std::ofstream out(out_path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file->data()), static_cast<std::streamsize>(file->size()));
    if (!out) die(std::string("cannot write ") + out_path);
    std::printf("%s: %zu bytes, %llu image pages at %#llx..%#llx, VMSA at %#llx entering %#llx\n", out_path,
                file->size(), static_cast<unsigned long long>(pages), static_cast<unsigned long long>(image_lo),
                static_cast<unsigned long long>(image_hi), static_cast<unsigned long long>(kVmsaGpa),
                static_cast<unsigned long long>(pvh_entry(elf)));
    return 0;
}

// SNP launch digest in header order: PAGE_DATA and VP_CONTEXT pages
// (Firmware ABI 56860 SNP_LAUNCH_UPDATE; SPEC-FACTS.md 8). Parameter pages
// are inserted unmeasured by the loader and do not enter the digest.
int measure(const char* path, bool quiet) {
    const Bytes f = read_file(path);
    auto file = std::make_unique<igvm::File>();
    if (auto r = igvm::parse(f, *file); !r) die(std::string("not a valid IGVM file: ") + error_name(r.error()));
    Digest running{};
    const Digest zero{};
    for (size_t i = 0; i < file->count; ++i) {
        const auto& h = file->headers[i];
        uint64_t gpa = 0;
        Digest contents = zero;
        igvm::SnpPageType type;
        if (h.type == igvm::HeaderType::kPageData && h.body.size() >= 24) {
            gpa = load_le<uint64_t>(h.body, 0);
            const uint32_t offset = load_le<uint32_t>(h.body, 12), flags = load_le<uint32_t>(h.body, 16);
            const uint16_t data_type = load_le<uint16_t>(h.body, 20);
            if (data_type == igvm::kDataSecrets)
                type = igvm::SnpPageType::kSecrets;
            else if (data_type == igvm::kDataCpuid || data_type == igvm::kDataCpuidXf)
                type = igvm::SnpPageType::kCpuid;
            else if (flags & igvm::kPageDataUnmeasured)
                type = igvm::SnpPageType::kUnmeasured;
            else if (offset == 0)
                type = igvm::SnpPageType::kZero;
            else {
                if (offset + kPage > f.size()) die("page data past the end of the file");
                type = igvm::SnpPageType::kNormal;
                contents = sha384(std::span<const uint8_t>(f.data() + offset, kPage));
            }
        } else if (h.type == igvm::HeaderType::kVpContext && h.body.size() >= 16) {
            gpa = load_le<uint64_t>(h.body, 0);
            const uint32_t offset = load_le<uint32_t>(h.body, 12);
            if (offset + kPage > f.size()) die("VMSA past the end of the file");
            type = igvm::SnpPageType::kVmsa;
            contents = sha384(std::span<const uint8_t>(f.data() + offset, kPage));
        } else {
            continue;
        }
        running = sha384(igvm::page_info(running, contents, type, gpa));
    }
    for (uint8_t b : running) std::printf("%02x", b);
    std::printf("\n");
    (void)quiet;
    return 0;
}

const char* type_name(igvm::HeaderType t) {
    switch (t) {
    case igvm::HeaderType::kSupportedPlatform: return "SUPPORTED_PLATFORM";
    case igvm::HeaderType::kGuestPolicy: return "GUEST_POLICY";
    case igvm::HeaderType::kParameterArea: return "PARAMETER_AREA";
    case igvm::HeaderType::kPageData: return "PAGE_DATA";
    case igvm::HeaderType::kParameterInsert: return "PARAMETER_INSERT";
    case igvm::HeaderType::kVpContext: return "VP_CONTEXT";
    case igvm::HeaderType::kRequiredMemory: return "REQUIRED_MEMORY";
    case igvm::HeaderType::kVpCount: return "VP_COUNT";
    case igvm::HeaderType::kMemoryMap: return "MEMORY_MAP";
    case igvm::HeaderType::kCommandLine: return "COMMAND_LINE";
    }
    return "unknown";
}

int dump(const char* path) {
    const Bytes f = read_file(path);
    auto file = std::make_unique<igvm::File>();
    if (auto r = igvm::parse(f, *file); !r) die(std::string("not a valid IGVM file: ") + error_name(r.error()));
    std::printf("IGVM file %s: %u bytes, %zu headers\n", path, file->total_size, file->count);
    for (size_t i = 0; i < file->count; ++i) {
        const auto& h = file->headers[i];
        std::printf("%4zu %-18s (0x%03x) %3zu bytes", i, type_name(h.type), static_cast<unsigned>(h.type),
                    h.body.size());
        if ((h.type == igvm::HeaderType::kPageData || h.type == igvm::HeaderType::kVpContext ||
             h.type == igvm::HeaderType::kParameterInsert || h.type == igvm::HeaderType::kRequiredMemory) &&
            h.body.size() >= 16) {
            std::printf("  gpa %#llx offset/area %#x", static_cast<unsigned long long>(load_le<uint64_t>(h.body, 0)),
                        load_le<uint32_t>(h.body, 12));
        }
        if (h.type == igvm::HeaderType::kSupportedPlatform && h.body.size() >= 8) {
            std::printf("  platform %u version %u", h.body[5], load_le<uint16_t>(h.body, 6));
        }
        std::printf("\n");
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "pack" && argc == 4) return pack(argv[2], argv[3]);
    if (cmd == "measure" && argc == 3) return measure(argv[2], false);
    if (cmd == "dump" && argc == 3) return dump(argv[2]);
    std::fprintf(stderr, "usage: warden-igvm pack KERNEL.elf OUT.igvm | measure FILE.igvm | dump FILE.igvm\n");
    return 2;
}
