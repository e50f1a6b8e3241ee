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
    std::vector<uint8_t> bytes = std::vector<uint8_t>(16384, 0);
};

struct Fixture {
    std::unique_ptr<Ghcb> ghcb = std::make_unique<Ghcb>();
    FakeHv hv;
    Memory mem;
    Result<void> vc(uint64_t code, VcRegs& r, std::vector<uint8_t> insn) {
        return handle_vc(code, r, insn, *ghcb, kGhcbGpa, hv, mem);
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
    CHECK(f.vc(0x400, r, {0x8b, 0x00}).error() == Error::kUnsupported);         // MMIO
    CHECK(f.vc(exit::kCpuid, r, {0x0f, 0x31}).error() == Error::kUnsupported);  // the bytes are not CPUID
    CHECK(f.vc(exit::kIoio, r, {0x90}).error() == Error::kUnsupported);
    VcRegs bad{.rcx = 4, .rdx = 0x3f8, .rsi = 16383};
    CHECK(f.vc(exit::kIoio, bad, {0xf3, 0x6e}).error() == Error::kInvalidArgument);  // source outside memory
    CHECK(f.hv.exits == 0);
}
