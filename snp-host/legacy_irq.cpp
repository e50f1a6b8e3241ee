// The guest VMPLs' PIT and PICs (legacy_irq.hpp): their ports, IRQ0 into the
// PICs, the virtual interrupt (APM vol. 2 15.21.4) and the waits of a HLT.
#include "legacy_irq.hpp"

#include "console.hpp"
#include "cpu.hpp"
#include "smp.hpp"
#include "vcpu.hpp"

namespace snp_host {
namespace {

namespace ws = warden::svm;
using namespace vmcb;

constexpr uint64_t kRflagsIf = 1u << 9;
constexpr unsigned kHltLength = 1;  // F4: HLT takes no prefix that changes it

bool pit_port(uint16_t port) { return (port >= ws::kPitChannel0 && port <= ws::kPitCommand) || port == ws::kPortB; }

uint64_t now_pit(const Vcpu& v) {
    const Chipset& c = v.machine->chipset;
    return ws::pit_ticks(cpu::rdtsc() - c.start_tsc, c.tsc_hz);
}

// IRQ0's edges since the last look, into the PICs (under the lock).
void feed_irq0(LegacyIrq& l, uint64_t now) {
    if (l.pit.take_irq0_edges(now) != 0) l.pic.raise_edge(0);
}

// Only the BSP's guest contexts get IRQ0: the PIC's INT reaches the BSP's
// LINT0 as ExtINT (QEMU's pc virtual wire), never an AP's.
bool receives_irq0(const Vcpu& v) { return v.vmpl != 0 && v.index == 0; }

// The vector the context would take now: the PICs' through the virtual wire
// (an ExtINT comes before the APIC's own, which it bypasses), else the
// highest of its xAPIC's above the processor priority.
int choose_vector(Vcpu& v, bool& from_pic) {
    from_pic = false;
    if (v.xapic_made) v.xapic.update(guest_ns(v));
    if (receives_irq0(v) && (!v.xapic_made || v.xapic.extint_open())) {
        LegacyIrq& l = v.machine->legacy_irq;
        warden::LockGuard<warden::SpinLock> one_chip_set(l.lock);
        feed_irq0(l, now_pit(v));
        if (const auto vector = l.pic.pending_vector()) {
            from_pic = true;
            return *vector;
        }
    }
    return v.xapic_made ? v.xapic.pending_vector() : -1;
}

struct Said {
    bool pit = false, pic = false;
    unsigned mode = 0;
    uint32_t count = 0;
    uint8_t master_base = 0, slave_base = 0;
};

}  // namespace

uint64_t guest_ns(const Vcpu& v) {
    const Chipset& c = v.machine->chipset;
    const uint64_t t = cpu::rdtsc() - c.start_tsc;
    constexpr uint64_t kNs = 1'000'000'000;
    return c.tsc_hz == 0 ? 0 : t / c.tsc_hz * kNs + t % c.tsc_hz * kNs / c.tsc_hz;
}

bool legacy_irq_io(Vcpu& v, uint16_t port, unsigned size, bool in, uint32_t& value) {
    if (v.vmpl == 0 || !(pit_port(port) || ws::PicPair::claims(port))) return false;
    LegacyIrq& l = v.machine->legacy_irq;
    Said said;
    {
        warden::LockGuard<warden::SpinLock> one_chip_set(l.lock);
        const uint64_t now = now_pit(v);
        feed_irq0(l, now);
        const auto byte = static_cast<uint8_t>(value);
        uint8_t got = 0xff;
        if (port == ws::kPortB) {
            if (in)
                got = l.pit.read_port_b(now);
            else
                l.pit.write_port_b(byte, now);
        } else if (pit_port(port)) {
            if (in) {
                got = l.pit.read(port, now);
            } else if (const ws::PitWrite w = l.pit.write(port, byte, now); w.loaded && w.channel == 0 && !l.said_pit) {
                l.said_pit = said.pit = true;
                said.mode = l.pit.channel(0).mode;
                said.count = l.pit.channel(0).count;
            }
        } else if (in) {
            got = l.pic.read(port);
        } else {
            (void)l.pic.write(port, byte);
            if (!l.said_pic && l.pic.master().initialised && l.pic.slave().initialised) {
                l.said_pic = said.pic = true;
                said.master_base = l.pic.master().base;
                said.slave_base = l.pic.slave().base;
            }
        }
        // The chips decode bytes: a wider access reaches one port, the rest
        // of the bus reads all ones (nothing else decodes the next ports).
        if (in) value = size == 1 ? got : size == 2 ? (0xff00u | got) : (0xffffff00u | got);
    }
    if (said.pit)
        log("pit: the guest programs channel 0: mode {}, count {} ({} Hz)", said.mode, said.count,
            ws::kPitHz / said.count);
    if (said.pic)
        log("pic: the guest initialises the 8259s: vector bases {:#x} and {:#x}", said.master_base, said.slave_base);
    return true;
}

// The design is the VMCB's virtual interrupt (V_IRQ with V_INTR_VECTOR,
// V_INTR_PRIO, V_IGN_TPR, and the VINTR intercept for the interrupt window,
// APM vol. 2 15.21.4): L1's QEMU 7.2 aborts on it (helper_vmrun raises
// CPU_INTERRUPT_VIRQ through cpu_interrupt without the iothread lock:
// "tcg_handle_interrupt: assertion failed: (qemu_mutex_iothread_locked())").
// So the host injects an external interrupt by EVENTINJ (type 0, APM vol. 2
// 15.20), as KVM does for the vector it has chosen, and only when the guest
// can take it at once (IF=1, no interrupt shadow): it is then taken at VMRUN,
// and acknowledged here. While the guest cannot, the vector waits for the
// context's next exit (a #VC, a HLT, a physical interrupt: Warden's tick at
// 100 Hz bounds the wait).
void legacy_irq_before_vmrun(Vcpu& v) {
    auto vm = v.vmcb();
    if (v.vmpl == 0 || (vm.get(kEventInject) & kEventValid)) return;  // an exception to deliver comes first
    if (!(vm.get(kRflags) & kRflagsIf) || (vm.get(kIntState) & kIntShadow)) return;
    bool from_pic = false;
    const int vector = choose_vector(v, from_pic);
    if (vector < 0) return;
    // INTA: the CPU takes it with this VMRUN.
    if (from_pic) {
        LegacyIrq& l = v.machine->legacy_irq;
        std::optional<uint8_t> acked;
        {
            warden::LockGuard<warden::SpinLock> one_chip_set(l.lock);
            acked = l.pic.acknowledge();
        }
        if (!acked) return;  // another vCPU changed the PICs meanwhile
        vm.set(kEventInject, uint64_t{*acked} | kEventValid);
        return;
    }
    v.xapic.acknowledge(static_cast<uint8_t>(vector));
    vm.set(kEventInject, static_cast<uint64_t>(vector) | kEventValid);
}

Next legacy_irq_halt(Vcpu& v) {
    const bool interrupts = v.vmcb().get(kRflags) & kRflagsIf;
    if (!interrupts && !v.said_hlt_if0) {
        v.said_hlt_if0 = true;
        log("vCPU {} VMPL{}: HLT with IF=0 at RIP {:#x}: it waits for VMPL0's next interrupt or its AP destruction, "
            "then VMPL0 runs (said once)",
            v.index, v.vmpl, v.vmcb().get(kRip));
    }
    for (;;) {
        bool from_pic = false;
        if (interrupts && choose_vector(v, from_pic) >= 0) break;
        if (v.vmsa_changed()) {
            v.vmcb().set(kRip, v.vmcb().get(kRip) + kHltLength);
            return leave_destroyed(v);
        }
        if (lapic_interrupt_pending()) {
            v.vmcb().set(kRip, v.vmcb().get(kRip) + kHltLength);
            if (prepare_run_vmpl(v, 0) != nullptr) return refuse(v, 0, "HLT: no VMPL0 to run (cannot happen)");
            ++v.count.preempted;
            return Next::kSwitch;
        }
        asm volatile("pause");
    }
    v.vmcb().set(kRip, v.vmcb().get(kRip) + kHltLength);
    return Next::kResume;
}

Next legacy_irq_physical(Vcpu& v) {
    if (v.vmpl == 0) return refuse(v, 0, "INTR #VMEXIT of VMPL0 (its INTR intercept is off)");
    static std::atomic<bool> said{false};
    if (!said.exchange(true))
        log("vCPU {} VMPL{}: a physical interrupt while VMPL{} runs: back to VMPL0, the interrupt left pending in L1's "
            "local APIC (said once)",
            v.index, v.vmpl, v.vmpl);
    if (prepare_run_vmpl(v, 0) != nullptr) return refuse(v, 0, "INTR: no VMPL0 to run (cannot happen)");
    ++v.count.preempted;
    return Next::kSwitch;
}

}  // namespace snp_host
