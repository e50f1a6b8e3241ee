#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "warden/sev/vc.hpp"

using namespace warden;
using namespace warden::sev;

namespace {

constexpr uint64_t kGhcbGpa = 0x9000;

// A fake hypervisor with ports, MSRs and CPUID leaves, answering through the
// GHCB as the GHCB spec says, and checking what the guest marked valid.
class FakeHv final : public Hypervisor {
public:
    Result<void> vmgexit(Ghcb& g) override {
        ++exits;
        const uint64_t code = g.get(GhcbField::kSwExitCode);
        const uint64_t info1 = g.get(GhcbField::kSwExitInfo1), info2 = g.get(GhcbField::kSwExitInfo2);
        g.set(GhcbField::kSwExitInfo1, 0);
        if (fail) g.set(GhcbField::kSwExitInfo1, 1);
        if (code == exit::kCpuid) {
            REQUIRE(g.is_valid(GhcbField::kRax));
            REQUIRE(g.is_valid(GhcbField::kRcx));
            const uint64_t leaf = g.get(GhcbField::kRax);
            g.set(GhcbField::kRax, leaf + 1);
            g.set(GhcbField::kRbx, 0xb);
            g.set(GhcbField::kRcx, 0xc);
            if (!omit_rdx) g.set(GhcbField::kRdx, 0xd);
        } else if (code == exit::kMsr) {
            REQUIRE(g.is_valid(GhcbField::kRcx));
            const uint32_t msr = static_cast<uint32_t>(g.get(GhcbField::kRcx));
            if (info1 == 1) {
                msrs[msr] = (g.get(GhcbField::kRdx) << 32) | g.get(GhcbField::kRax);
            } else {
                g.set(GhcbField::kRax, msrs[msr] & 0xffffffff);
                g.set(GhcbField::kRdx, msrs[msr] >> 32);
            }
        } else if (code == exit::kRdtsc || code == exit::kRdtscp) {
            g.set(GhcbField::kRax, 0x11111111);
            g.set(GhcbField::kRdx, 0x22);
            if (code == exit::kRdtscp) g.set(GhcbField::kRcx, 3);
        } else if (code == exit::kMmioRead || code == exit::kMmioWrite) {
            REQUIRE(g.get(GhcbField::kSwScratch) == kGhcbGpa + kGhcbSharedBuffer);
            auto buf = g.shared_buffer();
            mmio_log.push_back({code == exit::kMmioWrite, info1, info2});
            for (uint64_t i = 0; i < info2; ++i) {
                if (code == exit::kMmioWrite)
                    mmio[info1 + i] = buf[i];
                else
                    buf[i] = mmio[info1 + i];
            }
        } else if (code == exit::kIoio) {
            const uint16_t port = static_cast<uint16_t>(info1 >> 16);
            const bool in = info1 & 1, string = info1 & 4;
            const unsigned size = (info1 & 0x10) ? 1 : (info1 & 0x20) ? 2 : 4;
            if (!string) {
                if (in)
                    g.set(GhcbField::kRax, ports[port]);
                else
                    port_log.push_back(g.get(GhcbField::kRax));
            } else {
                REQUIRE(g.get(GhcbField::kSwScratch) == kGhcbGpa + kGhcbSharedBuffer);
                auto buf = g.shared_buffer();
                for (uint64_t i = 0; i < info2 * size; ++i) {
                    if (in)
                        buf[i] = static_cast<uint8_t>(i);
                    else
                        string_out.push_back(buf[i]);
                }
            }
        }
        return {};
    }
    std::map<uint32_t, uint64_t> msrs;
    std::map<uint16_t, uint64_t> ports;
    std::vector<uint64_t> port_log;
    std::vector<uint8_t> string_out;
    struct MmioExit {
        bool write;
        uint64_t gpa, size;
    };
    std::vector<MmioExit> mmio_log;
    std::map<uint64_t, uint8_t> mmio;
    int exits = 0;
    bool fail = false, omit_rdx = false;
};

class Memory final : public VcMemory {
public:
    bool read(uint64_t va, void* out, size_t len) override {
        if (va + len > bytes.size()) return false;
        std::memcpy(out, bytes.data() + va, len);
        return true;
    }
    bool write(uint64_t va, const void* in, size_t len) override {
        if (va + len > bytes.size()) return false;
        std::memcpy(bytes.data() + va, in, len);
        return true;
    }
    // MMIO: virtual 0xfee00000.. is shared and maps to GPA 0xfec00000..;
    // 0xfef00000.. is mapped private.
    bool translate_shared(uint64_t va, uint64_t& gpa) override {
        if (va >= 0xfee00000 && va < 0xfee01000) {
            gpa = va - 0x200000;
            return true;
        }
        return false;
    }
    std::vector<uint8_t> bytes = std::vector<uint8_t>(16384, 0);
};

struct Fixture {
    std::unique_ptr<Ghcb> ghcb = std::make_unique<Ghcb>();
    FakeHv hv;
    Memory mem;
    const CpuidTable* table = nullptr;
    Result<void> vc(uint64_t code, VcRegs& r, std::vector<uint8_t> insn) {
        return handle_vc(code, r, insn, VcContext{*ghcb, kGhcbGpa, hv, mem, table});
    }
};

}  // namespace

TEST_CASE("vc: CPUID goes through the GHCB and advances RIP") {
    Fixture f;
    VcRegs r{.rax = 0x8000001f, .rcx = 0, .rip = 0x1000};
    REQUIRE(f.vc(exit::kCpuid, r, {0x0f, 0xa2}).ok());
    CHECK(r.rax == 0x80000020);
    CHECK(r.rbx == 0xb);
    CHECK(r.rdx == 0xd);
    CHECK(r.rip == 0x1002);
}

TEST_CASE("vc: a result the hypervisor did not mark valid is refused") {
    Fixture f;
    f.hv.omit_rdx = true;
    VcRegs r{.rax = 1, .rip = 0x1000};
    CHECK(f.vc(exit::kCpuid, r, {0x0f, 0xa2}).error() == Error::kInvalidArgument);
    CHECK(r.rip == 0x1000);  // not advanced: the VM is terminated instead
    f.hv.omit_rdx = false;
    f.hv.fail = true;
    CHECK(f.vc(exit::kCpuid, r, {0x0f, 0xa2}).error() == Error::kDenied);
}

TEST_CASE("vc: RDMSR and WRMSR split EDX:EAX") {
    Fixture f;
    VcRegs w{.rax = 0x55667788, .rcx = 0xc0010130, .rdx = 0x11223344, .rip = 0};
    REQUIRE(f.vc(exit::kMsr, w, {0x0f, 0x30}).ok());
    CHECK(f.hv.msrs[0xc0010130] == 0x1122334455667788ull);
    VcRegs rd{.rcx = 0xc0010130};
    REQUIRE(f.vc(exit::kMsr, rd, {0x0f, 0x32}).ok());
    CHECK(rd.rax == 0x55667788);
    CHECK(rd.rdx == 0x11223344);
    CHECK(rd.rip == 2);
}

TEST_CASE("vc: RDTSC and RDTSCP") {
    Fixture f;
    VcRegs r{};
    REQUIRE(f.vc(exit::kRdtsc, r, {0x0f, 0x31}).ok());
    CHECK((r.rax == 0x11111111 && r.rdx == 0x22 && r.rip == 2));
    VcRegs p{};
    REQUIRE(f.vc(exit::kRdtscp, p, {0x0f, 0x01, 0xf9}).ok());
    CHECK((p.rcx == 3 && p.rip == 3));
}

TEST_CASE("vc: IN and OUT keep the bytes of RAX the instruction does not write") {
    Fixture f;
    f.hv.ports[0x3fd] = 0x60;
    VcRegs in{.rax = 0xaabbccdd, .rdx = 0x3fd, .rip = 0x10};
    REQUIRE(f.vc(exit::kIoio, in, {0xec}).ok());  // in al, dx
    CHECK(in.rax == 0xaabbcc60);
    CHECK(in.rip == 0x11);
    VcRegs out{.rax = 0x12345678, .rdx = 0xf4};
    REQUIRE(f.vc(exit::kIoio, out, {0xe7, 0xf4}).ok());  // out 0xf4, eax
    CHECK(f.hv.port_log.back() == 0x12345678);
    VcRegs out8{.rax = 0x1234, .rdx = 0x3f8};
    REQUIRE(f.vc(exit::kIoio, out8, {0xee}).ok());  // out dx, al
    CHECK(f.hv.port_log.back() == 0x34);
}

TEST_CASE("vc: REP OUTSB and REP INSW move through the shared buffer in pieces") {
    Fixture f;
    for (size_t i = 0; i < 5000; ++i) f.mem.bytes[i] = static_cast<uint8_t>(i * 7);
    VcRegs o{.rcx = 5000, .rdx = 0x3f8, .rsi = 0, .rip = 0};
    REQUIRE(f.vc(exit::kIoio, o, {0xf3, 0x6e}).ok());
    CHECK(f.hv.string_out.size() == 5000);
    CHECK(f.hv.string_out[4999] == static_cast<uint8_t>(4999 * 7));
    CHECK(o.rcx == 0);
    CHECK(o.rsi == 5000);
    CHECK(f.hv.exits == 3);  // 2032 + 2032 + 936 bytes
    VcRegs i{.rcx = 10, .rdx = 0x1f0, .rdi = 8000};
    REQUIRE(f.vc(exit::kIoio, i, {0xf3, 0x66, 0x6d}).ok());
    CHECK(i.rdi == 8020);
    CHECK(f.mem.bytes[8019] == 19);
    CHECK(i.rip == 3);
}

TEST_CASE("vc: events and instructions it does not serve are refused") {
    Fixture f;
    VcRegs r{};
    CHECK(f.vc(0x6f, r, {0x0f, 0x33}).error() == Error::kUnsupported);          // RDPMC
    CHECK(f.vc(0x400, r, {0x8b, 0xc0}).error() == Error::kUnsupported);         // MMIO "mov eax, eax"
    CHECK(f.vc(exit::kCpuid, r, {0x0f, 0x31}).error() == Error::kUnsupported);  // the bytes are not CPUID
    CHECK(f.vc(exit::kIoio, r, {0x90}).error() == Error::kUnsupported);
    VcRegs bad{.rcx = 4, .rdx = 0x3f8, .rsi = 16383};
    CHECK(f.vc(exit::kIoio, bad, {0xf3, 0x6e}).error() == Error::kInvalidArgument);  // source outside memory
    CHECK(f.hv.exits == 0);
}

TEST_CASE("vc: CPUID from the SNP CPUID page, not the hypervisor") {
    std::vector<uint8_t> page(4096, 0);
    page[0] = 1;  // one entry: leaf 0x8000001f
    const uint32_t e[] = {0x8000001f, 0, 0, 0, 0, 0, 0x1b, 0xb3, 0x1cf, 0};
    for (size_t i = 0; i < 2; ++i) std::memcpy(&page[16 + i * 4], &e[i], 4);
    for (size_t i = 0; i < 4; ++i) std::memcpy(&page[16 + 24 + i * 4], &e[5 + i], 4);
    auto table = CpuidTable::parse(page);
    REQUIRE(table.ok());
    Fixture f;
    f.table = &*table;
    VcRegs r{.rax = 0x8000001f, .rcx = 0, .rip = 0x1000};
    REQUIRE(f.vc(exit::kCpuid, r, {0x0f, 0xa2}).ok());
    CHECK(r.rax == 0);
    CHECK(r.rbx == 0x1b);
    CHECK(r.rcx == 0xb3);
    CHECK(r.rdx == 0x1cf);
    CHECK(r.rip == 0x1002);
    VcRegs missing{.rax = 0x12345678};
    REQUIRE(f.vc(exit::kCpuid, missing, {0x0f, 0xa2}).ok());
    CHECK((missing.rax == 0 && missing.rbx == 0 && missing.rcx == 0 && missing.rdx == 0));
    CHECK(f.hv.exits == 0);
}

TEST_CASE("vc: MMIO loads and stores go through the shared buffer at the GPA of the mapping") {
    Fixture f;
    f.hv.mmio[0xfec00020] = 0x78;
    f.hv.mmio[0xfec00021] = 0x56;
    f.hv.mmio[0xfec00022] = 0x34;
    f.hv.mmio[0xfec00023] = 0x12;
    VcRegs load{.rax = 0xffffffffffffffff, .rbx = 0xfee00000, .rip = 0x100};
    REQUIRE(f.vc(0x400, load, {0x8b, 0x43, 0x20}).ok());  // mov eax, [rbx+0x20]
    CHECK(load.rax == 0x12345678);                        // a 32-bit load zero-extends
    CHECK(load.rip == 0x103);
    REQUIRE(f.hv.mmio_log.size() == 1);
    CHECK((!f.hv.mmio_log[0].write && f.hv.mmio_log[0].gpa == 0xfec00020 && f.hv.mmio_log[0].size == 4));

    VcRegs store{.rcx = 0xaabbccdd, .rdi = 0xfee00300};
    REQUIRE(f.vc(0x400, store, {0x89, 0x0f}).ok());  // mov [rdi], ecx
    CHECK(f.hv.mmio[0xfec00300] == 0xdd);
    CHECK(f.hv.mmio[0xfec00303] == 0xaa);
    CHECK(store.rip == 2);

    VcRegs imm{.rdx = 0xfee000b0};
    REQUIRE(f.vc(0x400, imm, {0xc7, 0x02, 0, 0, 0, 0}).ok());  // mov dword [rdx], 0 (the APIC EOI)
    CHECK(f.hv.mmio_log.back().size == 4);
    CHECK(f.hv.mmio_log.back().gpa == 0xfec000b0);
}

TEST_CASE("vc: MMIO through a private mapping, across a page or with a bad answer is refused") {
    Fixture f;
    VcRegs priv{.rbx = 0xfef00000};
    CHECK(f.vc(0x400, priv, {0x8b, 0x03}).error() == Error::kInvalidArgument);
    VcRegs across{.rbx = 0xfee00ffe};
    CHECK(f.vc(0x400, across, {0x8b, 0x03}).error() == Error::kUnsupported);
    CHECK(f.hv.exits == 0);
    f.hv.fail = true;
    VcRegs r{.rax = 7, .rbx = 0xfee00000};
    CHECK(f.vc(0x400, r, {0x8b, 0x03}).error() == Error::kDenied);
    CHECK(r.rax == 7);  // nothing written back
    CHECK(r.rip == 0);
}

namespace {
class CpuidMsr final : public MsrChannel {
public:
    uint64_t exchange(uint64_t req) override {
        ++exchanges;
        if ((req & 0xfff) != 0x004) return 0;
        return ((((req >> 32) & 0xff) * 16 + ((req >> 30) & 3)) << 32) | 0x005;  // leaf*16 + register
    }
    int exchanges = 0;
};
}  // namespace

TEST_CASE("vc: before the GHCB, CPUID takes four MSR exchanges; everything else is refused") {
    CpuidMsr ch;
    VcRegs r{.rax = 0x8000001f, .rip = 0x10};
    REQUIRE(handle_vc_early(exit::kCpuid, r, std::vector<uint8_t>{0x0f, 0xa2}, ch, nullptr).ok());
    CHECK(r.rax == 0x1f * 16 + 0);
    CHECK(r.rbx == 0x1f * 16 + 1);
    CHECK(r.rcx == 0x1f * 16 + 2);
    CHECK(r.rdx == 0x1f * 16 + 3);
    CHECK(r.rip == 0x12);
    CHECK(ch.exchanges == 4);
    VcRegs sub{.rax = 7};
    CHECK(handle_vc_early(exit::kCpuid, sub, std::vector<uint8_t>{0x0f, 0xa2}, ch, nullptr).error() ==
          Error::kUnsupported);  // the MSR protocol cannot name a subleaf
    VcRegs io{.rdx = 0x3f8};
    CHECK(handle_vc_early(exit::kIoio, io, std::vector<uint8_t>{0xee}, ch, nullptr).error() == Error::kUnsupported);
    CHECK(ch.exchanges == 4);
    std::vector<uint8_t> page(4096, 0);
    auto empty = CpuidTable::parse(page);
    REQUIRE(empty.ok());
    VcRegs t{.rax = 7, .rbx = 9};
    REQUIRE(handle_vc_early(exit::kCpuid, t, std::vector<uint8_t>{0x0f, 0xa2}, ch, &*empty).ok());
    CHECK((t.rax == 0 && t.rbx == 0));  // the (empty) page answers, not the hypervisor
    CHECK(ch.exchanges == 4);
}

TEST_CASE("vc: a task's #VC is served for CPUID from the CPUID page alone; nothing else, no table, no hypervisor") {
    std::vector<uint8_t> page(4096, 0);
    page[0] = 1;  // one entry: leaf 1
    const uint32_t leaf = 1, eax = 0xa00f11, ebx = 0x800, ecx = 0x7ed8320b, edx = 0x178bfbff;
    std::memcpy(&page[16], &leaf, 4);
    std::memcpy(&page[16 + 24], &eax, 4);
    std::memcpy(&page[16 + 28], &ebx, 4);
    std::memcpy(&page[16 + 32], &ecx, 4);
    std::memcpy(&page[16 + 36], &edx, 4);
    auto table = CpuidTable::parse(page);
    REQUIRE(table.ok());
    VcRegs r{.rax = 1, .rcx = 0, .rip = 0x401000};
    REQUIRE(handle_task_vc(exit::kCpuid, r, std::vector<uint8_t>{0x0f, 0xa2}, &*table).ok());
    CHECK((r.rax == eax && r.rbx == ebx && r.rcx == ecx && r.rdx == edx && r.rip == 0x401002));
    VcRegs same{.rax = 1, .rip = 0x401000};
    CHECK(handle_task_vc(exit::kCpuid, same, std::vector<uint8_t>{0x0f, 0xa2}, nullptr).error() ==
          Error::kUnsupported);  // no table: never the hypervisor on a task's behalf
    CHECK(handle_task_vc(exit::kCpuid, same, std::vector<uint8_t>{0x0f, 0x31}, &*table).error() ==
          Error::kUnsupported);  // the bytes are not CPUID
    CHECK(handle_task_vc(exit::kIoio, same, std::vector<uint8_t>{0xee}, &*table).error() == Error::kUnsupported);
    CHECK(handle_task_vc(exit::kMsr, same, std::vector<uint8_t>{0x0f, 0x32}, &*table).error() == Error::kUnsupported);
    CHECK(same.rip == 0x401000);  // refused: nothing changed
}
