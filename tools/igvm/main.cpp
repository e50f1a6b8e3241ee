// warden-igvm: packs the kernel ELF (and optionally an OVMF image) into an
// IGVM file for SEV-SNP, prints the launch digest a QEMU 10.1 + KVM host's
// PSP computes for it, and dumps IGVM headers. docs/igvm.md says what the
// file holds and where each measurement rule comes from.
//
//   warden-igvm pack KERNEL.elf OUT.igvm [--svsm-base GPA] [--svsm-size MIB] [--c-bit N]
//                    [--policy P] [--firmware OVMF.fd]
//   warden-igvm measure FILE.igvm [--vcpus N] [--cpu MODEL|SIGNATURE]
//   warden-igvm dump FILE.igvm
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tool.hpp"

namespace {

using namespace warden;
using namespace warden::tool;

constexpr const char* kUsage =
    "usage: warden-igvm pack KERNEL.elf OUT.igvm [--svsm-base GPA] [--svsm-size MIB] [--c-bit N] [--policy P]\n"
    "                        [--firmware OVMF.fd]\n"
    "       warden-igvm measure FILE.igvm [--vcpus N] [--cpu MODEL|SIGNATURE]\n"
    "       warden-igvm dump FILE.igvm\n";

bool number(const std::string& text, unsigned long long& v) {
    if (text.empty() || text[0] == '-') return false;
    char* end = nullptr;
    errno = 0;
    v = std::strtoull(text.c_str(), &end, 0);
    return errno == 0 && *end == '\0';
}

// QEMU -cpu models by their CPUID signature (kvm_vmsa.hpp); versions and
// variants of a model (EPYC-v4, EPYC-IBPB, EPYC-Milan-v2) share it.
bool cpu_signature(const std::string& model, uint32_t& sig) {
    struct Model {
        const char* name;
        uint32_t sig;
    };
    static constexpr Model kModels[] = {{"EPYC-Rome", igvm::kSigEpycRome},
                                        {"EPYC-Milan", igvm::kSigEpycMilan},
                                        {"EPYC-Genoa", igvm::kSigEpycGenoa},
                                        {"EPYC-Turin", igvm::kSigEpycTurin},
                                        {"EPYC", igvm::kSigEpyc}};
    for (const Model& m : kModels) {
        const std::string base = m.name;
        if (model == base || model == base + "-IBPB" ||
            (model.size() > base.size() + 2 && model.compare(0, base.size() + 2, base + "-v") == 0 &&
             model.find_first_not_of("0123456789", base.size() + 2) == std::string::npos)) {
            sig = m.sig;
            return true;
        }
    }
    unsigned long long v = 0;
    if (number(model, v) && v <= 0xffffffffu) {
        sig = static_cast<uint32_t>(v);
        return true;
    }
    return false;
}

int pack_command(int argc, char** argv) {
    PackOptions opt;
    for (int i = 4; i < argc; i += 2) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) die("missing value after " + flag);
        const std::string value = argv[i + 1];
        unsigned long long v = 0;
        if (flag == "--firmware") {
            opt.firmware = value;
        } else if (flag == "--svsm-base" && number(value, v) && v % (2 << 20) == 0) {
            opt.svsm_base = v;
        } else if (flag == "--svsm-size" && number(value, v) && v >= 2 && v <= 992 && v % 2 == 0) {
            opt.svsm_mib = v;
        } else if (flag == "--c-bit" && number(value, v) && v >= 32 && v <= 63) {
            opt.c_bit = static_cast<unsigned>(v);
        } else if (flag == "--policy" && number(value, v) && igvm::check_policy(v)) {
            opt.policy = v;
        } else if (flag == "--policy") {
            die("bad --policy " + value +
                ": an SNP guest policy needs bit 17 (0x20000) set and only bits KVM accepts (mask 0x1bffff: "
                "ABI minor/major 0-15, SMT 16, reserved-one 17, debug 19, single socket 20); default 0x30000");
        } else {
            die("bad option " + flag + " " + value +
                " (--svsm-base: a 2 MiB-aligned GPA, default 512 GiB; --svsm-size: even MiB 2..992; --c-bit: 32..63; "
                "--policy: SNP policy; --firmware: an OVMF image)");
        }
    }
    return pack(argv[2], argv[3], opt);
}

int measure_command(int argc, char** argv) {
    igvm::LaunchConfig config;
    for (int i = 3; i < argc; i += 2) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) die("missing value after " + flag);
        const std::string value = argv[i + 1];
        unsigned long long v = 0;
        if (flag == "--vcpus" && number(value, v) && v >= 1 && v <= igvm::kMaxVcpus) {
            config.vcpus = static_cast<uint32_t>(v);
        } else if (flag == "--vcpus") {
            die("bad --vcpus " + value + ": the vCPU count (QEMU -smp), 1.." + std::to_string(igvm::kMaxVcpus));
        } else if (flag == "--cpu" && cpu_signature(value, config.cpu_signature)) {
        } else if (flag == "--cpu") {
            die("bad --cpu " + value +
                ": a QEMU -cpu model (EPYC, EPYC-Rome, EPYC-Milan, EPYC-Genoa, EPYC-Turin, with -vN) or a CPUID "
                "signature such as 0xa00f11");
        } else {
            die("bad option " + flag + " (--vcpus N, --cpu MODEL)");
        }
    }
    return measure(argv[2], config);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "pack" && argc >= 4) return pack_command(argc, argv);
    if (cmd == "measure" && argc >= 3) return measure_command(argc, argv);
    if (cmd == "dump" && argc == 3) return dump(argv[2]);
    std::fputs(kUsage, stderr);
    return 2;
}
