// The packer: lays out the SVSM memory and writes the IGVM file in the order
// a QEMU 10.1 + KVM host measures without surprises (docs/igvm.md, "The IGVM
// file"): policy, parameter areas, required memory, parameter inserts, the
// measured pages, and last the BSP's VMSA at KVM's fixed GPA.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "image.hpp"
#include "tool.hpp"
#include "warden/igvm/boot_block.hpp"
#include "warden/igvm/igvm.hpp"
#include "warden/igvm/kvm_vmsa.hpp"
#include "warden/sev/vmsa.hpp"

namespace warden::tool {
namespace {

constexpr uint32_t kMask = 1;  // compatibility mask: the one SNP platform
constexpr uint64_t kPage = 4096;
constexpr uint32_t kMemoryMapArea = 0, kVpCountArea = 1;

// The boot data pages at the top of the SVSM memory, in this order
// (docs/igvm.md has the whole layout). The BSP's VMSA is not among them:
// KVM places it at kKvmVmsaGpa, outside guest memory.
enum BootPage : uint64_t {
    kBlock,
    kSecrets,
    kCpuid,
    kMemoryMapParam,
    kVpCountParam,
    kPml4,
    kPdptIdentity,  // the SVSM memory where it is
    kPdIdentity,
    kPdptHigh,  // and at the kernel's higher-half addresses
    kPdHigh,
    kBootPages,
};

void put64(Bytes& page, size_t index, uint64_t v) {
    for (size_t i = 0; i < 8; ++i) page[index * 8 + i] = static_cast<uint8_t>(v >> (8 * i));
}

class Packer {
public:
    Packer() : buffer_(64 << 20), w_(buffer_, 256 << 10) {}  // room for ~10 000 headers

    void add(igvm::HeaderType t, const Bytes& body) {
        if (!w_.add(t, body)) die("IGVM headers do not fit");
    }
    uint32_t data(std::span<const uint8_t> bytes) {
        auto off = w_.add_data(bytes);
        if (!off) die("IGVM data does not fit");
        return *off;
    }
    // A measured, private 4 KiB PAGE_DATA; all-zero pages carry no file data
    // (loaded and measured as a normal page of zeros all the same).
    void page_data(uint64_t gpa, std::span<const uint8_t> contents, uint16_t data_type) {
        const bool zero = std::all_of(contents.begin(), contents.end(), [](uint8_t c) { return c == 0; });
        Bytes b;
        append<uint64_t>(b, gpa);
        append<uint32_t>(b, kMask);
        append<uint32_t>(b, zero ? 0 : data(contents));
        append<uint32_t>(b, 0);  // flags: 4 KiB, measured, private
        append<uint16_t>(b, data_type);
        append<uint16_t>(b, 0);
        add(igvm::HeaderType::kPageData, b);
    }
    std::span<const uint8_t> finish() {
        auto file = w_.finish();
        if (!file) die("cannot finish the IGVM file");
        return *file;
    }

private:
    Bytes buffer_;
    igvm::Writer w_;
};

void platform_and_policy(Packer& p, uint64_t policy) {
    Bytes platform;
    append<uint32_t>(platform, kMask);
    append<uint8_t>(platform, 0);  // highest VTL
    append<uint8_t>(platform, igvm::kPlatformSevSnp);
    append<uint16_t>(platform, 1);  // platform version (igvm_defs IGVM_SEV_SNP_PLATFORM_VERSION)
    append<uint64_t>(platform, 0);  // shared GPA boundary
    p.add(igvm::HeaderType::kSupportedPlatform, platform);
    Bytes guest_policy;
    append<uint64_t>(guest_policy, policy);
    append<uint32_t>(guest_policy, kMask);
    append<uint32_t>(guest_policy, 0);
    p.add(igvm::HeaderType::kGuestPolicy, guest_policy);
}

// Areas and the parameters that fill them come first, then the required
// memory: QEMU converts that to private by discarding what its shared copy
// holds, so it must precede every page QEMU fills. Then the inserts, which
// QEMU measures at once: before any PAGE_DATA none can overtake a page run.
void parameters_and_memory(Packer& p, PhysRange svsm, uint64_t memory_map_gpa, uint64_t vp_count_gpa) {
    for (uint32_t area : {kMemoryMapArea, kVpCountArea}) {
        Bytes a, param;
        append<uint64_t>(a, kPage);
        append<uint32_t>(a, area);
        append<uint32_t>(a, 0);  // zero-filled
        p.add(igvm::HeaderType::kParameterArea, a);
        append<uint32_t>(param, area);
        append<uint32_t>(param, 0);  // byte offset
        p.add(area == kMemoryMapArea ? igvm::HeaderType::kMemoryMap : igvm::HeaderType::kVpCount, param);
    }
    Bytes required;
    append<uint64_t>(required, svsm.base.raw());
    append<uint32_t>(required, kMask);
    append<uint32_t>(required, static_cast<uint32_t>(svsm.size));
    append<uint32_t>(required, 0);
    append<uint32_t>(required, 0);
    p.add(igvm::HeaderType::kRequiredMemory, required);
    for (uint32_t area : {kMemoryMapArea, kVpCountArea}) {
        Bytes insert;
        append<uint64_t>(insert, area == kMemoryMapArea ? memory_map_gpa : vp_count_gpa);
        append<uint32_t>(insert, kMask);
        append<uint32_t>(insert, area);
        p.add(igvm::HeaderType::kParameterInsert, insert);
    }
}

// Entry page tables, every entry private, 2 MiB pages: the SVSM memory and
// nothing else, twice. Identity, for the boot data the kernel reads by
// physical address and the frames it takes before its own tables exist;
// and at the kernel's higher-half addresses (`high` = its higher-half
// offset + its lowest link address, .. + size), where the image runs: `high`
// reaches GPA svsm.base. No guest memory is
// mapped, so a stray access to a link-time physical address faults instead
// of reaching the guest's RAM.
void page_tables(Packer& p, uint64_t data, uint64_t c_bit, PhysRange svsm, uint64_t high) {
    auto at = [&](uint64_t page) { return data + page * kPage; };
    constexpr uint64_t kPresentWritable = 3, kLarge = 0x80;
    const uint64_t base = svsm.base.raw(), pages = svsm.size / igvm::kEntryMapPage;
    auto index = [](uint64_t va, unsigned level) { return (va >> (12 + 9 * level)) & 511; };
    Bytes pml4(kPage, 0), pdpt_identity(kPage, 0), pd_identity(kPage, 0), pdpt_high(kPage, 0), pd_high(kPage, 0);
    put64(pml4, index(base, 3), at(kPdptIdentity) | c_bit | kPresentWritable);
    put64(pml4, index(high, 3), at(kPdptHigh) | c_bit | kPresentWritable);
    put64(pdpt_identity, index(base, 2), at(kPdIdentity) | c_bit | kPresentWritable);
    put64(pdpt_high, index(high, 2), at(kPdHigh) | c_bit | kPresentWritable);
    for (uint64_t i = 0; i < pages; ++i) {
        const uint64_t pa = (base + i * igvm::kEntryMapPage) | c_bit | kPresentWritable | kLarge;
        put64(pd_identity, index(base, 1) + i, pa);
        put64(pd_high, index(high, 1) + i, pa);
    }
    p.page_data(at(kPml4), pml4, igvm::kDataNormal);
    p.page_data(at(kPdptIdentity), pdpt_identity, igvm::kDataNormal);
    p.page_data(at(kPdIdentity), pd_identity, igvm::kDataNormal);
    p.page_data(at(kPdptHigh), pdpt_high, igvm::kDataNormal);
    p.page_data(at(kPdHigh), pd_high, igvm::kDataNormal);
}

// The BSP's VMSA, built to be exactly what KVM measures (CR4.MCE, which KVM
// forces on, is set here; x87/SSE control as FNINIT leaves it), so that
// tools measuring the file's VMSA as written agree with the host.
void bsp_vmsa(Packer& p, uint64_t entry, uint64_t boot_block, uint64_t cr3) {
    constexpr uint64_t kCr4Mce = 1u << 6;
    const auto vmsa = sev::make_vmsa_long_mode(sev::LongModeState{.rip = entry,
                                                                  .rbx = boot_block,
                                                                  .cr3 = cr3,
                                                                  .cr4 = sev::kCr4Pae | kCr4Mce,
                                                                  .x87_fcw = 0x037f,
                                                                  .mxcsr = 0x1f80});
    auto measured = igvm::kvm_bsp_vmsa(vmsa);
    if (!measured) die(std::string("the BSP's VMSA is refused by the host model: ") + error_name(measured.error()));
    if (*measured != vmsa) die("the BSP's VMSA differs from what KVM would measure (a packer bug)");
    Bytes vp;
    append<uint64_t>(vp, igvm::kKvmVmsaGpa);
    append<uint32_t>(vp, kMask);
    append<uint32_t>(vp, p.data(vmsa));
    append<uint16_t>(vp, 0);  // VP index 0
    append<uint16_t>(vp, 0);
    p.add(igvm::HeaderType::kVpContext, vp);
}

}  // namespace

int pack(const std::string& kernel_path, const std::string& out_path, const PackOptions& opt) {
    if (!igvm::check_policy(opt.policy)) die("the policy does not check (a caller bug)");
    const KernelImage kernel = load_kernel(kernel_path);
    FirmwareImage firmware;
    if (!opt.firmware.empty()) firmware = load_firmware(opt.firmware);
    const uint64_t c_bit = uint64_t{1} << opt.c_bit;

    // SVSM memory: the image at its bottom, the boot data pages at its top.
    igvm::BootBlock bb;
    bb.svsm = PhysRange{PhysAddr(opt.svsm_base), opt.svsm_mib << 20};
    const uint64_t data = bb.svsm.end().raw() - kBootPages * kPage;
    const uint64_t delta = opt.svsm_base - kernel.lo;  // from an image page's link address to its GPA
    if (data < kernel.hi + delta) die("--svsm-size is too small for the image");
    if (kernel.lo % igvm::kEntryMapPage != 0) die("the kernel's link address is not 2 MiB aligned");
    // The higher-half alias is one page directory: link .. link + size inside one GiB.
    const uint64_t high = kernel.higher_half + kernel.lo;
    if (!within_one_block(high, bb.svsm.size, igvm::kEntryMapBlock))
        die("--svsm-size is too large for the kernel's higher-half alias (at most 1 GiB minus its link address)");
    if (!firmware.bytes.empty()) {
        check_firmware_placement(opt.firmware, firmware.fw, bb.svsm);
        bb.firmware = firmware.fw.flash;
    }
    auto at = [&](BootPage page) { return data + page * kPage; };
    bb.boot_data = PhysRange{PhysAddr(data), kBootPages * kPage};
    bb.memory_map = PhysAddr(at(kMemoryMapParam));
    bb.memory_map_size = kPage;
    bb.vp_count = PhysAddr(at(kVpCountParam));
    bb.secrets = PhysAddr(at(kSecrets));
    bb.cpuid = PhysAddr(at(kCpuid));
    bb.c_bit = static_cast<uint8_t>(opt.c_bit);
    Bytes block(kPage, 0);
    igvm::write_boot_block(bb, std::span<uint8_t, igvm::kBootBlockSize>(block.data(), igvm::kBootBlockSize));
    if (auto checked = igvm::parse_boot_block(block); !checked) {
        die("the SVSM memory " + hex_range(bb.svsm) + " cannot be laid out: " + error_name(checked.error()) +
            " (--svsm-base and the end must be 2 MiB aligned, inside one 1 GiB-aligned GiB, below the C-bit)");
    }

    auto packer = std::make_unique<Packer>();
    Packer& p = *packer;
    platform_and_policy(p, opt.policy);
    parameters_and_memory(p, bb.svsm, at(kMemoryMapParam), at(kVpCountParam));
    for (const KernelImage::Page& page : kernel.pages) p.page_data(page.gpa + delta, page.bytes, igvm::kDataNormal);
    // The firmware's pages, in file order, where its flash maps (ending at 4 GiB).
    for (uint64_t off = 0; off < firmware.bytes.size(); off += kPage) {
        p.page_data(firmware.fw.flash.base.raw() + off, std::span<const uint8_t>(firmware.bytes).subspan(off, kPage),
                    igvm::kDataNormal);
    }
    p.page_data(at(kBlock), block, igvm::kDataNormal);
    p.page_data(at(kSecrets), Bytes(kPage, 0), igvm::kDataSecrets);
    p.page_data(at(kCpuid), Bytes(kPage, 0), igvm::kDataCpuid);
    page_tables(p, data, c_bit, bb.svsm, high);
    bsp_vmsa(p, kernel.entry, at(kBlock), at(kPml4) | c_bit);

    const auto file = p.finish();
    write_file(out_path, file);
    std::printf(
        "%s: %zu bytes; %zu image pages at %#llx..%#llx; SVSM memory %s; boot data at %#llx; "
        "VMSA at %#llx entering %#llx (C-bit %u); policy %#llx",
        out_path.c_str(), file.size(), kernel.pages.size(), static_cast<unsigned long long>(kernel.lo + delta),
        static_cast<unsigned long long>(kernel.hi + delta), hex_range(bb.svsm).c_str(),
        static_cast<unsigned long long>(data), static_cast<unsigned long long>(igvm::kKvmVmsaGpa),
        static_cast<unsigned long long>(kernel.entry), opt.c_bit, static_cast<unsigned long long>(opt.policy));
    if (bb.firmware.size != 0) {
        std::printf("; firmware %zu pages at %s", static_cast<size_t>(bb.firmware.size / kPage),
                    hex_range(bb.firmware).c_str());
    }
    std::printf("\n");
    return 0;
}

}  // namespace warden::tool
