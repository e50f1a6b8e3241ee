// Reading the kernel ELF and the OVMF image for the packer.
#include "image.hpp"

#include <algorithm>
#include <cstring>

#include "warden/bytes.hpp"

namespace warden::tool {
namespace {

constexpr uint64_t kPage = 4096;

// The descriptor of the ELF note (name, type), from the section table.
uint64_t note_u64(const Bytes& elf, std::string_view name, uint32_t want) {
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

}  // namespace

KernelImage load_kernel(const std::string& path) {
    const Bytes elf = read_file(path);
    if (elf.size() < 64 || std::memcmp(elf.data(),
                                       "\x7f"
                                       "ELF",
                                       4) != 0)
        die("the kernel is not an ELF file");
    KernelImage k;
    k.entry = note_u64(elf, "WardenIGVM", 1);  // the kernel's 64-bit IGVM entry
    // The kernel is linked for physical addresses via p_paddr: walk PT_LOAD.
    const uint64_t phoff = load_le<uint64_t>(elf, 0x20);
    const uint16_t phnum = load_le<uint16_t>(elf, 0x38);
    for (uint16_t i = 0; i < phnum; ++i) {
        const size_t at = phoff + size_t{i} * 56;
        if (at + 56 > elf.size()) die("unexpected segment layout");
        if (load_le<uint32_t>(elf, at) != 1) continue;  // PT_LOAD
        const uint64_t offset = load_le<uint64_t>(elf, at + 8), vaddr = load_le<uint64_t>(elf, at + 16);
        const uint64_t paddr = load_le<uint64_t>(elf, at + 24);
        const uint64_t filesz = load_le<uint64_t>(elf, at + 32), memsz = load_le<uint64_t>(elf, at + 40);
        if (paddr % kPage != 0 || offset + filesz > elf.size()) die("unexpected segment layout");
        if (vaddr != paddr) {  // a higher-half segment: all of them one offset from their link addresses
            if (k.higher_half != 0 && k.higher_half != vaddr - paddr) die("unexpected segment layout");
            k.higher_half = vaddr - paddr;
        }
        for (uint64_t p = 0; p < memsz; p += kPage) {
            Bytes page(kPage, 0);
            if (p < filesz) std::memcpy(page.data(), elf.data() + offset + p, std::min<uint64_t>(kPage, filesz - p));
            k.pages.push_back({paddr + p, std::move(page)});
        }
        k.lo = std::min(k.lo, paddr);
        k.hi = std::max(k.hi, paddr + ((memsz + kPage - 1) & ~(kPage - 1)));
    }
    if (k.pages.empty()) die("the kernel has no loadable segment");
    if (k.higher_half == 0) die("the kernel has no higher-half segment");
    return k;
}

// Its SEV metadata sections (memory a plain SNP launch pre-validates, OVMF's
// secrets and CPUID pages) get no pages in the IGVM file: Warden's BIOS
// loader validates them at run time, in the memory the guest really has.
FirmwareImage load_firmware(const std::string& path) {
    FirmwareImage f;
    f.bytes = read_file(path);
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

}  // namespace warden::tool
