// The launch walk: QEMU 10.1 backends/igvm.c (directive handlers) and
// target/i386/sev.c (cgs_set_guest_state), KVM snp_launch_update and
// snp_launch_finish (VMSAs last, one per vCPU).
#include "warden/igvm/snp_launch.hpp"

#include <bit>

#include "warden/bytes.hpp"
#include "warden/checked.hpp"

namespace warden::igvm {
namespace {

constexpr uint64_t kPage = 4096;
constexpr std::array<uint8_t, kPage> kZeroPage{};
constexpr size_t kMaxAreas = 16;

struct Area {
    uint32_t index = 0;
    uint64_t bytes = 0;
    bool inserted = false;
};

// igvm_defs: platform headers 0x001..0x100, initialization 0x101..0x200,
// directives from 0x301; the file lists them in that order.
int section_of(uint32_t type) {
    if (type >= 0x001 && type <= 0x100) return 1;
    if (type >= 0x101 && type <= 0x200) return 2;
    if (type >= 0x301) return 3;
    return 0;
}

Result<uint32_t> snp_platform_mask(const File& file, size_t& at) {
    uint32_t mask = 0;
    for (size_t i = 0; i < file.count; ++i) {
        const Header& h = file.headers[i];
        at = i;
        if (h.type != HeaderType::kSupportedPlatform) continue;
        if (h.body.size() != 16) return Fail(Error::kInvalidArgument);
        if (h.body[5] != kPlatformSevSnp) continue;
        const uint32_t m = load_le<uint32_t>(h.body, 0);
        if (mask != 0 || std::popcount(m) != 1) return Fail(Error::kInvalidArgument);
        mask = m;
    }
    at = file.count;
    if (mask == 0) return Fail(Error::kNotFound);
    return mask;
}

Result<uint64_t> snp_policy(const File& file, uint32_t mask, size_t& at) {
    bool found = false;
    uint64_t policy = 0;
    for (size_t i = 0; i < file.count; ++i) {
        const Header& h = file.headers[i];
        at = i;
        if (h.type != HeaderType::kGuestPolicy) continue;
        if (h.body.size() != 16) return Fail(Error::kInvalidArgument);
        if ((load_le<uint32_t>(h.body, 8) & mask) == 0) continue;
        if (found || load_le<uint32_t>(h.body, 12) != 0) return Fail(Error::kInvalidArgument);
        policy = load_le<uint64_t>(h.body, 0);
        WARDEN_TRY_VOID(check_policy(policy));
        found = true;
    }
    at = file.count;
    if (!found) return Fail(Error::kNotFound);
    return policy;
}

// The walk's state between directives.
class Walk {
public:
    Walk(std::span<const uint8_t> bytes, uint32_t mask, LaunchSink& sink) : bytes_(bytes), mask_(mask), sink_(sink) {}

    Result<void> directive(const Header& h) {
        const auto type = static_cast<uint32_t>(h.type);
        switch (h.type) {
        case HeaderType::kParameterArea: return area(h.body);
        case HeaderType::kPageData: return page_data(h.body);
        case HeaderType::kParameterInsert: return insert(h.body);
        case HeaderType::kVpContext: return vp_context(h.body);
        case HeaderType::kRequiredMemory:
        case HeaderType::kVpCount:
        case HeaderType::kMemoryMap: return {};  // not measured
        default: break;
        }
        if (type == kTypeSnpIdBlock || type == kTypeEnvironmentInfo) return {};
        return Fail(Error::kUnsupported);
    }

    Result<Launch> finish(const LaunchConfig& config) {
        if (!have_vmsa_) return Fail(Error::kNotFound);
        emit(SnpPageType::kVmsa, kKvmVmsaGpa, bsp_);
        const uint64_t features = load_le<uint64_t>(bsp_, 0x3b0);
        const VmsaPage ap = kvm_ap_vmsa(config.cpu_signature, features);
        for (uint32_t i = 1; i < config.vcpus; ++i) emit(SnpPageType::kVmsa, kKvmVmsaGpa, ap);
        Launch l;
        l.snp_mask = mask_;
        l.pages = pages_;
        return l;
    }

private:
    bool ours(std::span<const uint8_t> body, size_t mask_at) const {
        return (load_le<uint32_t>(body, mask_at) & mask_) != 0;
    }
    void emit(SnpPageType type, uint64_t gpa, std::span<const uint8_t> contents) {
        sink_.page(type, gpa, contents);
        ++pages_;
    }
    Result<std::span<const uint8_t>> file_page(uint32_t offset) const {
        auto end = checked_end(offset, kPage);
        if (!end || *end > bytes_.size()) return Fail(Error::kTruncated);
        return bytes_.subspan(offset, kPage);
    }

    Result<void> area(std::span<const uint8_t> b) {
        if (b.size() != 16) return Fail(Error::kInvalidArgument);
        const uint64_t size = load_le<uint64_t>(b, 0);
        const uint32_t index = load_le<uint32_t>(b, 8);
        for (size_t i = 0; i < areas_count_; ++i) {
            if (areas_[i].index == index) return Fail(Error::kInvalidArgument);
        }
        if (size == 0 || size % kPage != 0) return Fail(Error::kMisaligned);
        if (size > kMaxParameterArea || areas_count_ == kMaxAreas) return Fail(Error::kOutOfRange);
        areas_[areas_count_++] = Area{index, size, false};
        return {};
    }

    // PAGE_DATA: 4 KiB, private. Without file data it is a normal page of
    // zeros (igvm_defs IGVM_VHS_PAGE_DATA; QEMU loads it as NORMAL).
    Result<void> page_data(std::span<const uint8_t> b) {
        if (b.size() != 24) return Fail(Error::kInvalidArgument);
        if (!ours(b, 8)) return {};
        if (have_vmsa_) return Fail(Error::kWrongOrder);
        const uint64_t gpa = load_le<uint64_t>(b, 0);
        const uint32_t offset = load_le<uint32_t>(b, 12), flags = load_le<uint32_t>(b, 16);
        const uint16_t data_type = load_le<uint16_t>(b, 20), reserved = load_le<uint16_t>(b, 22);
        if (gpa % kPage != 0) return Fail(Error::kMisaligned);
        if ((flags & (kPageData2M | kPageDataShared)) != 0) return Fail(Error::kUnsupported);
        if ((flags & ~kPageDataUnmeasured) != 0 || reserved != 0 || data_type > kDataCpuidXf)
            return Fail(Error::kInvalidArgument);
        std::span<const uint8_t> data(kZeroPage);
        if (offset != 0) {
            WARDEN_TRY(p, file_page(offset));
            data = p;
        }
        seen_page_data_ = true;
        if (data_type == kDataSecrets) {
            emit(SnpPageType::kSecrets, gpa, {});
        } else if (data_type == kDataCpuid || data_type == kDataCpuidXf) {
            emit(SnpPageType::kCpuid, gpa, {});
        } else if ((flags & kPageDataUnmeasured) != 0) {
            emit(SnpPageType::kUnmeasured, gpa, {});
        } else {
            emit(SnpPageType::kNormal, gpa, data);
        }
        return {};
    }

    // PARAMETER_INSERT: the area's pages, unmeasured, at the insert GPA.
    Result<void> insert(std::span<const uint8_t> b) {
        if (b.size() != 16) return Fail(Error::kInvalidArgument);
        if (!ours(b, 8)) return {};
        if (seen_page_data_ || have_vmsa_) return Fail(Error::kWrongOrder);
        const uint64_t gpa = load_le<uint64_t>(b, 0);
        const uint32_t index = load_le<uint32_t>(b, 12);
        if (gpa % kPage != 0) return Fail(Error::kMisaligned);
        Area* a = nullptr;
        for (size_t i = 0; i < areas_count_; ++i) {
            if (areas_[i].index == index) a = &areas_[i];
        }
        if (a == nullptr) return Fail(Error::kNotFound);
        if (a->inserted) return Fail(Error::kInvalidArgument);
        auto end = checked_end(gpa, a->bytes);
        if (!end) return Fail(Error::kOverflow);
        a->inserted = true;
        for (uint64_t p = gpa; p < *end; p += kPage) emit(SnpPageType::kUnmeasured, p, {});
        return {};
    }

    Result<void> vp_context(std::span<const uint8_t> b) {
        if (b.size() != 20) return Fail(Error::kInvalidArgument);
        if (!ours(b, 8)) return {};
        if (have_vmsa_ || load_le<uint16_t>(b, 18) != 0) return Fail(Error::kInvalidArgument);
        if (load_le<uint16_t>(b, 16) != 0) return Fail(Error::kUnsupported);
        if (load_le<uint64_t>(b, 0) != kKvmVmsaGpa) return Fail(Error::kOutOfRange);
        const uint32_t offset = load_le<uint32_t>(b, 12);
        if (offset == 0) return Fail(Error::kInvalidArgument);
        WARDEN_TRY(page, file_page(offset));
        WARDEN_TRY(bsp, kvm_bsp_vmsa(std::span<const uint8_t, kVmsaPageSize>(page.data(), kVmsaPageSize)));
        bsp_ = bsp;
        have_vmsa_ = true;
        return {};
    }

    std::span<const uint8_t> bytes_;
    uint32_t mask_;
    LaunchSink& sink_;
    Area areas_[kMaxAreas];
    size_t areas_count_ = 0;
    bool seen_page_data_ = false, have_vmsa_ = false;
    VmsaPage bsp_{};
    size_t pages_ = 0;
};

}  // namespace

Result<void> check_policy(uint64_t policy) {
    if ((policy & kPolicyReservedOne) == 0 || (policy & ~kKvmPolicyValid) != 0) return Fail(Error::kInvalidArgument);
    return {};
}

Result<Launch> plan_snp_launch(const File& file, std::span<const uint8_t> bytes, const LaunchConfig& config,
                               LaunchSink& sink, size_t* failed_header) {
    size_t unused = 0;
    size_t& at = failed_header != nullptr ? *failed_header : unused;
    at = file.count;
    if (config.vcpus == 0 || config.vcpus > kMaxVcpus) return Fail(Error::kOutOfRange);
    int section = 1;
    for (size_t i = 0; i < file.count; ++i) {
        at = i;
        const auto type = static_cast<uint32_t>(file.headers[i].type);
        const int s = section_of(type);
        // QEMU handles one platform and one initialization header type.
        if (s == 0 || (s == 1 && file.headers[i].type != HeaderType::kSupportedPlatform) ||
            (s == 2 && file.headers[i].type != HeaderType::kGuestPolicy))
            return Fail(Error::kUnsupported);
        if (s < section) return Fail(Error::kWrongOrder);
        section = s;
    }
    at = file.count;
    WARDEN_TRY(mask, snp_platform_mask(file, at));
    WARDEN_TRY(policy, snp_policy(file, mask, at));
    Walk walk(bytes, mask, sink);
    for (size_t i = 0; i < file.count; ++i) {
        if (section_of(static_cast<uint32_t>(file.headers[i].type)) != 3) continue;
        at = i;
        WARDEN_TRY_VOID(walk.directive(file.headers[i]));
    }
    at = file.count;
    WARDEN_TRY(launch, walk.finish(config));
    launch.policy = policy;
    return launch;
}

}  // namespace warden::igvm
