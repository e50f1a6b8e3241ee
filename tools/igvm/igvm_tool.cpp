// warden-igvm: packs the kernel ELF (and optionally an OVMF image) into an
// IGVM file for SEV-SNP, prints its SNP launch digest as the PSP would
// compute it, and dumps IGVM headers.
//
//   warden-igvm pack KERNEL.elf OUT.igvm [--svsm-size MIB] [--c-bit N] [--firmware OVMF.fd]
//   warden-igvm measure FILE.igvm        (96 hex digits)
//   warden-igvm dump FILE.igvm
//
// The file format and PAGE_INFO layout are lib/warden/igvm, the OVMF footer
// and SEV metadata lib/warden/ovmf.hpp; SHA-384 is OpenSSL's. See
// docs/igvm.md for what the image contains and what is missing.
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
#include "warden/igvm/boot_block.hpp"
#include "warden/igvm/igvm.hpp"
#include "warden/ovmf.hpp"
#include "warden/sev/vmsa.hpp"

namespace {

using namespace warden;
using Bytes = std::vector<uint8_t>;
using Digest = std::array<uint8_t, 48>;

constexpr uint32_t kMask = 1;  // compatibility mask: the one SNP platform
constexpr uint64_t kPage = 4096;

// The boot data pages at the top of the SVSM memory, in this order
// (docs/igvm.md has the whole layout).
enum BootPage : uint64_t {
    kBlock,
    kSecrets,
    kCpuid,
    kVmsa,
    kMemoryMapParam,
    kVpCountParam,
    kPml4,
    kPdptLow,
    kPdptHigh,
    kPd0,  // PD0..PD3 map 0..4 GiB with 2 MiB pages
    kBootPages = kPd0 + 4,
};

struct Options {
    uint64_t svsm_mib = 32;
    unsigned c_bit = 51;
    std::string firmware;  // an OVMF image to pack at the top of 4 GiB; empty: none
};

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
    for (size_t i = 0; i < sizeof(T); ++i) b.push_back(static_cast<uint64_t>(v) >> (8 * i) & 0xff);
}

void put64(Bytes& page, size_t index, uint64_t v) {
    for (size_t i = 0; i < 8; ++i) page[index * 8 + i] = static_cast<uint8_t>(v >> (8 * i));
}

std::string hex_range(PhysRange r) {
    char s[48];
    std::snprintf(s, sizeof s, "%#llx..%#llx", static_cast<unsigned long long>(r.base.raw()),
                  static_cast<unsigned long long>(r.end().raw()));
    return s;
}

// The guest firmware: its bytes and what its footer table says.
struct FirmwareImage {
    Bytes bytes;
    ovmf::Firmware fw;
};

// Reads and parses an OVMF image; dies on anything an SNP launch cannot use.
// Its SEV metadata sections (memory a plain SNP launch pre-validates, OVMF's
// secrets and CPUID pages) get no pages in the IGVM file: Warden's BIOS
// loader validates them at run time, in the memory the guest really has.
FirmwareImage load_firmware(const std::string& path) {
    FirmwareImage f;
    f.bytes = read_file(path.c_str());
    auto parsed = ovmf::parse(f.bytes);
    if (!parsed) {
        die("firmware " + path + " (" + std::to_string(f.bytes.size()) +
            " bytes) is not a usable OVMF image: " + error_name(parsed.error()));
    }
    if (!parsed->has_sev_metadata) die("firmware " + path + ": no SEV metadata: not an SNP-capable OVMF build");
    f.fw = *parsed;
    return f;
}

// ovmf::check_placement section by section, so the message can name the one
// that fails: guest RAM is everything below the flash, less the SVSM memory.
void check_firmware_placement(const std::string& path, const ovmf::Firmware& fw, PhysRange svsm) {
    if (fw.flash.overlaps(svsm)) die("the SVSM memory " + hex_range(svsm) + " reaches the firmware flash");
    const PhysRange ram[] = {PhysRange{PhysAddr(0), fw.flash.base.raw()}};
    for (const ovmf::Section& s : fw.section_list()) {
        ovmf::Firmware one = fw;
        one.sections[0] = s;
        one.section_count = 1;
        auto r = ovmf::check_placement(one, ram, svsm);
        if (r) continue;
        const std::string svsm_text = hex_range(svsm) + " (--svsm-size " + std::to_string(svsm.size >> 20) + ")";
        const std::string why = r.error() == Error::kOverlap ? "overlaps the SVSM memory " + svsm_text
                                                             : "is not in guest RAM below the flash";
        die("firmware " + path + ": its " + ovmf::section_name(s.type) + " section " + hex_range(s.range) + " " + why);
    }
}

// The descriptor of the ELF note (name, type), from the section table.
uint64_t note_u64(const Bytes& elf, std::string_view name, uint32_t want) {
    if (elf.size() < 64 || std::memcmp(elf.data(),
                                       "\x7f"
                                       "ELF",
                                       4) != 0)
        die("the kernel is not an ELF file");
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
            const bool named = namesz == name.size() + 1 && p + 12 + namesz <= elf.size() &&
                               std::memcmp(elf.data() + p + 12, name.data(), name.size()) == 0;
            if (named && type == want && descsz == 8 && desc + 8 <= elf.size()) return load_le<uint64_t>(elf, desc);
            p = desc + ((descsz + 3) & ~3u);
        }
    }
    die("no " + std::string(name) + " note of type " + std::to_string(want) + " in the kernel");
}

int pack(const char* kernel_path, const char* out_path, const Options& opt) {
    const Bytes elf = read_file(kernel_path);
    FirmwareImage firmware;
    if (!opt.firmware.empty()) firmware = load_firmware(opt.firmware);
    const uint64_t entry = note_u64(elf, "WardenIGVM", 1);  // the kernel's 64-bit IGVM entry
    const uint64_t c_bit = uint64_t{1} << opt.c_bit;
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

    auto page_data = [&](uint64_t gpa, std::span<const uint8_t> contents, uint16_t data_type) {
        const bool zero = std::all_of(contents.begin(), contents.end(), [](uint8_t c) { return c == 0; });
        uint32_t file_offset = 0;
        if (!zero) {
            auto off = w.add_data(contents);
            if (!off) die("IGVM data does not fit");
            file_offset = *off;
        }
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
            page_data(paddr + p, page, igvm::kDataNormal);
            ++pages;
        }
        image_lo = std::min(image_lo, paddr);
        image_hi = std::max(image_hi, paddr + ((memsz + kPage - 1) & ~(kPage - 1)));
    }
    // The firmware's pages, in file order, where its flash maps (ending at 4 GiB).
    for (uint64_t off = 0; off < firmware.bytes.size(); off += kPage) {
        page_data(firmware.fw.flash.base.raw() + off, std::span<const uint8_t>(firmware.bytes).subspan(off, kPage),
                  igvm::kDataNormal);
    }

    // SVSM memory: from the image up; the boot data pages at its top.
    igvm::BootBlock bb;
    bb.svsm = PhysRange{PhysAddr(image_lo), opt.svsm_mib << 20};
    const uint64_t data = bb.svsm.end().raw() - kBootPages * kPage;
    if (data < image_hi) die("--svsm-size is too small for the image");
    if (!firmware.bytes.empty()) {
        check_firmware_placement(opt.firmware, firmware.fw, bb.svsm);
        bb.firmware = firmware.fw.flash;
    }
    auto at = [&](BootPage p) { return data + p * kPage; };
    bb.boot_data = PhysRange{PhysAddr(data), kBootPages * kPage};
    bb.memory_map = PhysAddr(at(kMemoryMapParam));
    bb.memory_map_size = kPage;
    bb.vp_count = PhysAddr(at(kVpCountParam));
    bb.secrets = PhysAddr(at(kSecrets));
    bb.cpuid = PhysAddr(at(kCpuid));
    bb.c_bit = static_cast<uint8_t>(opt.c_bit);
    Bytes block(kPage, 0);
    igvm::write_boot_block(bb, std::span<uint8_t, igvm::kBootBlockSize>(block.data(), igvm::kBootBlockSize));
    if (!igvm::parse_boot_block(block)) die("the boot block does not check (a layout bug)");
    page_data(at(kBlock), block, igvm::kDataNormal);
    page_data(at(kSecrets), Bytes(kPage, 0), igvm::kDataSecrets);
    page_data(at(kCpuid), Bytes(kPage, 0), igvm::kDataCpuid);

    // Entry page tables: 0..4 GiB identity and the kernel's higher-half alias
    // of 0..1 GiB (0xffffffff80000000), 2 MiB pages, every entry private.
    constexpr uint64_t kPresentWritable = 3, kLarge = 0x80;
    Bytes pml4(kPage, 0), pdpt_low(kPage, 0), pdpt_high(kPage, 0);
    put64(pml4, 0, at(kPdptLow) | c_bit | kPresentWritable);
    put64(pml4, 511, at(kPdptHigh) | c_bit | kPresentWritable);
    for (uint64_t g = 0; g < 4; ++g) put64(pdpt_low, g, at(BootPage(kPd0 + g)) | c_bit | kPresentWritable);
    put64(pdpt_high, 510, at(kPd0) | c_bit | kPresentWritable);
    page_data(at(kPml4), pml4, igvm::kDataNormal);
    page_data(at(kPdptLow), pdpt_low, igvm::kDataNormal);
    page_data(at(kPdptHigh), pdpt_high, igvm::kDataNormal);
    for (uint64_t g = 0; g < 4; ++g) {
        Bytes pd(kPage, 0);
        for (uint64_t e = 0; e < 512; ++e) put64(pd, e, ((g << 30) + (e << 21)) | c_bit | kPresentWritable | kLarge);
        page_data(at(BootPage(kPd0 + g)), pd, igvm::kDataNormal);
    }

    // Parameter areas the loader fills: 0 the memory map, 1 the vCPU count.
    for (uint32_t area : {0u, 1u}) {
        Bytes a, param, insert;
        append<uint64_t>(a, kPage);
        append<uint32_t>(a, area);
        append<uint32_t>(a, 0);  // zero-filled
        add(igvm::HeaderType::kParameterArea, a);
        append<uint32_t>(param, area);
        append<uint32_t>(param, 0);  // byte offset
        add(area == 0 ? igvm::HeaderType::kMemoryMap : igvm::HeaderType::kVpCount, param);
        append<uint64_t>(insert, area == 0 ? at(kMemoryMapParam) : at(kVpCountParam));
        append<uint32_t>(insert, kMask);
        append<uint32_t>(insert, area);
        add(igvm::HeaderType::kParameterInsert, insert);
    }

    Bytes required;
    append<uint64_t>(required, bb.svsm.base.raw());
    append<uint32_t>(required, kMask);
    append<uint32_t>(required, static_cast<uint32_t>(bb.svsm.size));
    append<uint32_t>(required, 0);
    append<uint32_t>(required, 0);
    add(igvm::HeaderType::kRequiredMemory, required);

    const auto vmsa =
        sev::make_vmsa_long_mode(sev::LongModeState{.rip = entry, .rbx = at(kBlock), .cr3 = at(kPml4) | c_bit});
    auto vmsa_off = w.add_data(vmsa);
    if (!vmsa_off) die("IGVM data does not fit");
    Bytes vp;
    append<uint64_t>(vp, at(kVmsa));
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
    std::printf(
        "%s: %zu bytes; %llu image pages at %#llx..%#llx; SVSM memory %#llx..%#llx; boot data at %#llx; "
        "VMSA at %#llx entering %#llx (C-bit %u)",
        out_path, file->size(), static_cast<unsigned long long>(pages), static_cast<unsigned long long>(image_lo),
        static_cast<unsigned long long>(image_hi), static_cast<unsigned long long>(bb.svsm.base.raw()),
        static_cast<unsigned long long>(bb.svsm.end().raw()), static_cast<unsigned long long>(data),
        static_cast<unsigned long long>(at(kVmsa)), static_cast<unsigned long long>(entry), opt.c_bit);
    if (bb.firmware.size != 0) {
        std::printf("; firmware %zu pages at %s", static_cast<size_t>(bb.firmware.size / kPage),
                    hex_range(bb.firmware).c_str());
    }
    std::printf("\n");
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
    if (cmd == "pack" && argc >= 4) {
        Options opt;
        for (int i = 4; i < argc; ++i) {
            const std::string flag = argv[i];
            if (i + 1 >= argc) die("missing value after " + flag);
            if (flag == "--firmware") {
                opt.firmware = argv[++i];
                continue;
            }
            char* end = nullptr;
            const unsigned long long v = std::strtoull(argv[++i], &end, 0);
            if (*end != '\0') die("not a number: " + std::string(argv[i]));
            if (flag == "--svsm-size" && v >= 2 && v <= 2048 && v % 2 == 0)
                opt.svsm_mib = v;
            else if (flag == "--c-bit" && v >= 32 && v <= 63)
                opt.c_bit = static_cast<unsigned>(v);
            else
                die("bad option " + flag + " " + argv[i] +
                    " (--svsm-size: even MiB 2..2048; --c-bit: 32..63; --firmware: an OVMF image)");
        }
        return pack(argv[2], argv[3], opt);
    }
    if (cmd == "measure" && argc == 3) return measure(argv[2], false);
    if (cmd == "dump" && argc == 3) return dump(argv[2]);
    std::fprintf(stderr,
                 "usage: warden-igvm pack KERNEL.elf OUT.igvm [--svsm-size MIB] [--c-bit N] [--firmware OVMF.fd]\n"
                 "       warden-igvm measure FILE.igvm | dump FILE.igvm\n");
    return 2;
}
