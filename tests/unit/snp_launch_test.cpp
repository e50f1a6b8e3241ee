#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <vector>

#include "byte_builder.hpp"
#include "warden/igvm/snp_launch.hpp"
#include "warden/sev/vmsa.hpp"

using namespace warden;
using namespace warden::igvm;
using test_bytes::Bytes;
using test_bytes::put_le;

namespace {

constexpr uint64_t kPage = 4096;

struct Entry {
    SnpPageType type;
    uint64_t gpa;
    size_t size;
    uint8_t first;
};

class Recorder final : public LaunchSink {
public:
    void page(SnpPageType type, uint64_t gpa, std::span<const uint8_t> contents) override {
        entries.push_back({type, gpa, contents.size(), contents.empty() ? uint8_t{0} : contents[0]});
        if (type == SnpPageType::kVmsa) vmsas.emplace_back(contents.begin(), contents.end());
    }
    std::vector<Entry> entries;
    std::vector<Bytes> vmsas;
};

Bytes body(std::initializer_list<std::pair<uint64_t, size_t>> fields) {
    Bytes b;
    for (auto [v, n] : fields) {
        b.resize(b.size() + n);
        put_le(b, b.size() - n, v, n);
    }
    return b;
}

// One header of a test file; edit() may change it before the file is written.
struct H {
    HeaderType type;
    Bytes body;
};

VmsaPage good_vmsa() {
    return sev::make_vmsa_long_mode(sev::LongModeState{.rip = 0x200000,
                                                       .rbx = 0x10000,
                                                       .cr3 = 0x11000,
                                                       .cr4 = sev::kCr4Pae | (1u << 6),
                                                       .x87_fcw = 0x37f,
                                                       .mxcsr = 0x1f80});
}

// A small launchable file: platform, policy, one parameter area inserted,
// pages (data, zero, secrets, CPUID, unmeasured), the VMSA last. The page
// data and the VMSA are file data; offsets are filled in by build().
std::vector<H> good_headers() {
    return {
        {HeaderType::kSupportedPlatform, body({{1, 4}, {0, 1}, {kPlatformSevSnp, 1}, {1, 2}, {0, 8}})},
        {HeaderType::kGuestPolicy, body({{kDefaultPolicy, 8}, {1, 4}, {0, 4}})},
        {HeaderType::kParameterArea, body({{2 * kPage, 8}, {7, 4}, {0, 4}})},
        {HeaderType::kVpCount, body({{7, 4}, {0, 4}})},
        {HeaderType::kRequiredMemory, body({{0x10000, 8}, {1, 4}, {0x10000, 4}, {0, 4}, {0, 4}})},
        {HeaderType::kParameterInsert, body({{0x20000, 8}, {1, 4}, {7, 4}})},
        {HeaderType::kPageData, body({{0x1000, 8}, {1, 4}, {1, 4}, {0, 4}, {kDataNormal, 2}, {0, 2}})},  // data
        {HeaderType::kPageData, body({{0x2000, 8}, {1, 4}, {0, 4}, {0, 4}, {kDataNormal, 2}, {0, 2}})},  // zero
        {HeaderType::kPageData, body({{0x3000, 8}, {1, 4}, {0, 4}, {0, 4}, {kDataSecrets, 2}, {0, 2}})},
        {HeaderType::kPageData, body({{0x4000, 8}, {1, 4}, {0, 4}, {0, 4}, {kDataCpuid, 2}, {0, 2}})},
        {HeaderType::kPageData,
         body({{0x5000, 8}, {1, 4}, {0, 4}, {kPageDataUnmeasured, 4}, {kDataNormal, 2}, {0, 2}})},
        {HeaderType::kPageData, body({{0x6000, 8}, {2, 4}, {0, 4}, {0, 4}, {kDataNormal, 2}, {0, 2}})},  // not SNP's
        {HeaderType::kVpContext, body({{kKvmVmsaGpa, 8}, {1, 4}, {2, 4}, {0, 2}, {0, 2}})},
    };
}

// Writes the headers; a file offset of 1 means "the data page", 2 "the VMSA".
Bytes build(const std::vector<H>& hs, const VmsaPage& vmsa = good_vmsa()) {
    std::vector<uint8_t> buf(64 * 1024);
    Writer w(buf, 2048);
    Bytes data(kPage, 0xab);
    const uint32_t data_off = *w.add_data(data);
    const uint32_t vmsa_off = *w.add_data(vmsa);
    for (H h : hs) {
        const size_t off_at = h.type == HeaderType::kPageData || h.type == HeaderType::kVpContext ? 12 : 0;
        if (off_at != 0 && h.body.size() >= 16) {
            const uint32_t marker = h.body[off_at];
            if (marker == 1) put_le(h.body, off_at, data_off, 4);
            if (marker == 2) put_le(h.body, off_at, vmsa_off, 4);
        }
        REQUIRE(w.add(h.type, h.body).ok());
    }
    auto f = w.finish();
    REQUIRE(f.ok());
    return Bytes(f->begin(), f->end());
}

Result<Launch> plan(const Bytes& f, Recorder& r, LaunchConfig c = {}, size_t* at = nullptr) {
    auto file = std::make_unique<File>();
    REQUIRE(parse(f, *file).ok());
    return plan_snp_launch(*file, f, c, r, at);
}

}  // namespace

TEST_CASE("snp_launch: policy constants follow the Firmware ABI, igvm_defs and KVM") {
    CHECK(kPolicySmt == 0x10000);
    CHECK(kPolicyReservedOne == 0x20000);
    CHECK(kPolicyMigrateMa == 0x40000);
    CHECK(kPolicyDebug == 0x80000);
    CHECK(kPolicySingleSocket == 0x100000);
    CHECK(kKvmPolicyValid == 0x1bffff);  // SNP_POLICY_MASK_VALID, arch/x86/kvm/svm/sev.c
    CHECK(kDefaultPolicy == 0x30000);    // QEMU's sev-snp-guest default too
    CHECK(kTypeSnpIdBlock == 0x30b);
    CHECK(kTypeEnvironmentInfo == 0x313);
    CHECK(static_cast<uint32_t>(HeaderType::kGuestPolicy) == 0x101);
    CHECK(static_cast<uint32_t>(HeaderType::kParameterInsert) == 0x303);
}

TEST_CASE("snp_launch: a policy is checked as KVM's snp_launch_start checks it") {
    for (uint64_t ok : {0x20000ull, 0x30000ull, 0xb0000ull, 0x1b0000ull, 0x3ffffull, 0x130155ull})
        CHECK(check_policy(ok).ok());
    for (uint64_t bad : {0ull, 0x10000ull, 0x70000ull, 0x230000ull, 0x1000030000ull, ~0ull})
        CHECK(check_policy(bad).error() == Error::kInvalidArgument);
}

TEST_CASE("snp_launch: pages come in file order, the VMSAs last, one per vCPU") {
    Recorder r;
    auto l = plan(build(good_headers()), r, LaunchConfig{.vcpus = 3, .cpu_signature = kSigEpycMilan});
    REQUIRE(l.ok());
    CHECK(l->policy == kDefaultPolicy);
    CHECK(l->snp_mask == 1);
    const std::vector<std::pair<SnpPageType, uint64_t>> want = {
        {SnpPageType::kUnmeasured, 0x20000}, {SnpPageType::kUnmeasured, 0x21000},  // the 8 KiB area
        {SnpPageType::kNormal, 0x1000},      {SnpPageType::kNormal, 0x2000},       // data, zero page
        {SnpPageType::kSecrets, 0x3000},     {SnpPageType::kCpuid, 0x4000},       {SnpPageType::kUnmeasured, 0x5000},
        {SnpPageType::kVmsa, kKvmVmsaGpa},   {SnpPageType::kVmsa, kKvmVmsaGpa},   {SnpPageType::kVmsa, kKvmVmsaGpa},
    };
    REQUIRE(r.entries.size() == want.size());
    CHECK(l->pages == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        CAPTURE(i);
        CHECK(r.entries[i].type == want[i].first);
        CHECK(r.entries[i].gpa == want[i].second);
        const bool hashed = want[i].first == SnpPageType::kNormal || want[i].first == SnpPageType::kVmsa;
        CHECK(r.entries[i].size == (hashed ? kPage : 0));
    }
    CHECK(r.entries[2].first == 0xab);  // the file's data
    CHECK(r.entries[3].first == 0);     // a normal page of zeros, not the native zero type
    const VmsaPage vmsa = good_vmsa();
    CHECK(r.vmsas[0] == Bytes(vmsa.begin(), vmsa.end()));
    const VmsaPage ap = kvm_ap_vmsa(kSigEpycMilan, 1);
    CHECK(r.vmsas[1] == Bytes(ap.begin(), ap.end()));
    CHECK(r.vmsas[2] == r.vmsas[1]);
}

TEST_CASE("snp_launch: files the host refuses or the public tools disagree on are refused exactly") {
    using Edit = std::function<void(std::vector<H>&)>;
    auto field = [](size_t header, size_t at, uint64_t v, size_t n) -> Edit {
        return [=](std::vector<H>& hs) { put_le(hs[header].body, at, v, n); };
    };
    constexpr size_t kPlat = 0, kPolicy = 1, kArea = 2, kInsert = 5, kData = 6, kZero = 7, kVp = 12;
    struct Case {
        const char* what;
        Edit edit;
        Error expected;
        size_t at;  // the header blamed (13: the file as a whole)
    };
    const std::vector<Case> cases = {
        {"no SEV-SNP platform", field(kPlat, 5, 0, 1), Error::kNotFound, 13},
        {"platform mask with two bits", field(kPlat, 0, 3, 4), Error::kInvalidArgument, kPlat},
        {"platform body too short", [](auto& hs) { hs[kPlat].body.resize(8); }, Error::kInvalidArgument, kPlat},
        {"policy for another platform", field(kPolicy, 8, 2, 4), Error::kNotFound, 13},
        {"policy without bit 17", field(kPolicy, 0, 0x10000, 8), Error::kInvalidArgument, kPolicy},
        {"policy with the migration agent", field(kPolicy, 0, 0x70000, 8), Error::kInvalidArgument, kPolicy},
        {"policy reserved field", field(kPolicy, 12, 1, 4), Error::kInvalidArgument, kPolicy},
        {"two policies", [](auto& hs) { hs.insert(hs.begin() + 2, hs[kPolicy]); }, Error::kInvalidArgument, 2},
        {"policy after a directive", [](auto& hs) { std::swap(hs[kPolicy], hs[kArea]); }, Error::kWrongOrder, 2},
        {"an initialization header QEMU lacks", [](auto& hs) { hs[kPolicy].type = HeaderType(0x102); },
         Error::kUnsupported, kPolicy},
        {"a directive QEMU lacks (COMMAND_LINE)", [](auto& hs) { hs[3].type = HeaderType::kCommandLine; },
         Error::kUnsupported, 3},
        {"area size not page aligned", field(kArea, 0, 100, 8), Error::kMisaligned, kArea},
        {"area of 2 MiB", field(kArea, 0, 2 << 20, 8), Error::kOutOfRange, kArea},
        {"area declared twice", [](auto& hs) { hs.insert(hs.begin() + 3, hs[kArea]); }, Error::kInvalidArgument, 3},
        {"insert of an undeclared area", field(kInsert, 12, 9, 4), Error::kNotFound, kInsert},
        {"insert misaligned", field(kInsert, 0, 0x20800, 8), Error::kMisaligned, kInsert},
        {"insert after page data", [](auto& hs) { std::swap(hs[kInsert], hs[kData]); }, Error::kWrongOrder, kData},
        {"page data misaligned", field(kData, 0, 0x1800, 8), Error::kMisaligned, kData},
        {"page data 2 MiB", field(kData, 16, kPageData2M, 4), Error::kUnsupported, kData},
        {"page data shared", field(kData, 16, kPageDataShared, 4), Error::kUnsupported, kData},
        {"page data unknown flag", field(kData, 16, 8, 4), Error::kInvalidArgument, kData},
        {"page data unknown type", field(kData, 20, 4, 2), Error::kInvalidArgument, kData},
        {"page data reserved", field(kData, 22, 1, 2), Error::kInvalidArgument, kData},
        {"page data past the end", field(kData, 12, 0xfff000, 4), Error::kTruncated, kData},
        {"page data body short", [](auto& hs) { hs[kZero].body.resize(20); }, Error::kInvalidArgument, kZero},
        {"page data after the VMSA", [](auto& hs) { std::swap(hs[kZero + 3], hs[kVp]); }, Error::kWrongOrder, kVp},
        {"VMSA not at KVM's GPA", field(kVp, 0, 0x7000, 8), Error::kOutOfRange, kVp},
        {"VMSA for VP 1", field(kVp, 16, 1, 2), Error::kUnsupported, kVp},
        {"VMSA reserved field", field(kVp, 18, 1, 2), Error::kInvalidArgument, kVp},
        {"VMSA without file data", field(kVp, 12, 0, 4), Error::kInvalidArgument, kVp},
        {"VMSA past the end", field(kVp, 12, 0xfff000, 4), Error::kTruncated, kVp},
        {"two VMSAs", [](auto& hs) { hs.push_back(hs[kVp]); }, Error::kInvalidArgument, 13},
        {"no VMSA", [](auto& hs) { hs.pop_back(); }, Error::kNotFound, 12},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        std::vector<H> hs = good_headers();
        c.edit(hs);
        Recorder r;
        size_t at = 999;
        CHECK(plan(build(hs), r, {}, &at).error() == c.expected);
        CHECK(at == c.at);
    }
}

TEST_CASE("snp_launch: the VMSA is judged by the host model, and so is the vCPU count") {
    VmsaPage star = good_vmsa();
    star[0x200] = 1;
    Recorder r;
    CHECK(plan(build(good_headers(), star), r).error() == Error::kUnsupported);
    CHECK(plan(build(good_headers()), r, LaunchConfig{.vcpus = 0}).error() == Error::kOutOfRange);
    CHECK(plan(build(good_headers()), r, LaunchConfig{.vcpus = kMaxVcpus + 1}).error() == Error::kOutOfRange);
    Recorder many;
    CHECK(plan(build(good_headers()), many, LaunchConfig{.vcpus = kMaxVcpus}).ok());
}

TEST_CASE("snp_launch: a file written by an independent implementation walks as expected") {
    // tests/fuzz/corpus/igvm/snp_launch was made with Python's struct and zlib.crc32:
    // platform, policy, a 4 KiB area inserted at 0x20000, a data page, a zero page,
    // a secrets page, and a VMSA that is already KVM's BSP VMSA.
    std::ifstream in(WARDEN_SOURCE_DIR "/tests/fuzz/corpus/igvm/snp_launch", std::ios::binary);
    REQUIRE(in.good());
    const Bytes f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Recorder r;
    auto l = plan(f, r, LaunchConfig{.vcpus = 2});
    REQUIRE(l.ok());
    CHECK(l->policy == 0x30000);
    REQUIRE(r.entries.size() == 6);
    CHECK(r.entries[0].type == SnpPageType::kUnmeasured);
    CHECK(r.entries[0].gpa == 0x20000);
    CHECK(r.entries[1].first == 0xab);
    CHECK(r.entries[2].type == SnpPageType::kNormal);
    CHECK(r.entries[3].type == SnpPageType::kSecrets);
    CHECK(r.entries[4].type == SnpPageType::kVmsa);
    CHECK(r.vmsas[0] == Bytes(f.end() - 4096, f.end()));
    const VmsaPage ap = kvm_ap_vmsa(kSigEpyc, 1);
    CHECK(r.vmsas[1] == Bytes(ap.begin(), ap.end()));
}
