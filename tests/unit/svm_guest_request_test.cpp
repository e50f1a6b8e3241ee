#include <doctest/doctest.h>

#include <memory>

#include "warden/sev/guest_request.hpp"
#include "warden/svm/guest_request.hpp"

using namespace warden;
using namespace warden::svm;
namespace sev = warden::sev;

namespace {

// A host without the PSP path behind the guest's exchange: it reads the exit
// fields the guest wrote and answers with answer_guest_request_without_psp.
class HostWithoutPsp final : public sev::Hypervisor {
public:
    Result<void> vmgexit(sev::Ghcb& g) override {
        ++exits;
        const uint64_t code = g.get(sev::GhcbField::kSwExitCode);
        GuestRequestExit e{.request_gpa = g.get(sev::GhcbField::kSwExitInfo1),
                           .response_gpa = g.get(sev::GhcbField::kSwExitInfo2),
                           .extended = code == sev::exit::kExtGuestRequest,
                           .rax_valid = g.is_valid(sev::GhcbField::kRax),
                           .rbx_valid = g.is_valid(sev::GhcbField::kRbx),
                           .data_gpa = g.get(sev::GhcbField::kRax),
                           .data_pages = g.get(sev::GhcbField::kRbx)};
        const ExitAnswer a = answer_guest_request_without_psp(e, pages_usable);
        g.set(sev::GhcbField::kSwExitInfo1, a.info1);
        g.set(sev::GhcbField::kSwExitInfo2, a.info2);
        return {};
    }
    bool pages_usable = true;
    int exits = 0;
};

}  // namespace

TEST_CASE("svm guest_request: constants pinned from the sources") {
    CHECK(sev::exit::kGuestRequest == 0x80000011);     // GHCB spec 56421, SPEC-FACTS 5
    CHECK(sev::exit::kExtGuestRequest == 0x80000012);  // Linux svm.h SVM_VMGEXIT_EXT_GUEST_REQUEST
    CHECK(sev::kExitNoAction == 0);                    // Linux GHCB_HV_RESP_NO_ACTION
    CHECK(sev::kExitIssueException == 1);              // GHCB_HV_RESP_ISSUE_EXCEPTION
    CHECK(sev::kExitMalformedInput == 2);              // GHCB_HV_RESP_MALFORMED_INPUT
    CHECK(static_cast<uint64_t>(sev::InputError::kNotRegistered) == 1);
    CHECK(static_cast<uint64_t>(sev::InputError::kMissingInput) == 4);
    CHECK(static_cast<uint64_t>(sev::InputError::kInvalidInput) == 5);  // GHCB_ERR_INVALID_INPUT
    CHECK(static_cast<uint64_t>(sev::InputError::kInvalidEvent) == 6);
    // GHCB spec: "set the SW_EXITINFO2 field to 0x0000000100000000" (too small a
    // certificate buffer) and "0x0000000200000000" (busy, retry).
    CHECK(sev::guest_request_status(sev::kVmmErrInvalidLen, 0) == 0x0000000100000000);
    CHECK(sev::guest_request_status(sev::kVmmErrBusy, 0) == 0x0000000200000000);
    CHECK(sev::kVmmErrGeneric == 0xffffffffu);
    CHECK(sev::guest_request_status(0, 0x16) == 0x16);  // the firmware's status in bits 31:0
}

TEST_CASE("svm guest_request: a well-formed request is answered unsupported, as a hypervisor error") {
    const GuestRequestExit e{.request_gpa = 0x10000, .response_gpa = 0x11000};
    const ExitAnswer a = answer_guest_request_without_psp(e, true);
    CHECK(a.info1 == 0);
    CHECK(a.info2 == 0xffffffff00000000);
    CHECK(check_guest_request(e) == GuestRequestCheck::kNone);
    GuestRequestExit x = e;
    x.extended = true, x.rax_valid = true, x.rbx_valid = true, x.data_gpa = 0x20000, x.data_pages = 4;
    CHECK(check_guest_request(x) == GuestRequestCheck::kNone);
    CHECK(answer_guest_request_without_psp(x, true).info2 == 0xffffffff00000000);
    x.data_pages = 0;  // no certificate buffer: still well formed
    CHECK(check_guest_request(x) == GuestRequestCheck::kNone);
}

TEST_CASE("svm guest_request: malformed inputs, with the exact answer") {
    struct Row {
        GuestRequestExit e;
        bool usable;
        sev::InputError why;
    };
    const Row rows[] = {
        {{.request_gpa = 0x10008, .response_gpa = 0x11000}, true, sev::InputError::kInvalidInput},
        {{.request_gpa = 0x10000, .response_gpa = 0x11800}, true, sev::InputError::kInvalidInput},
        {{.request_gpa = 0x10000, .response_gpa = 0x10000}, true, sev::InputError::kInvalidInput},
        {{.request_gpa = 0x10000, .response_gpa = 0x11000}, false, sev::InputError::kInvalidInput},
        {{.request_gpa = 0x10000, .response_gpa = 0x11000, .extended = true, .rbx_valid = true},
         true,
         sev::InputError::kMissingInput},
        {{.request_gpa = 0x10000, .response_gpa = 0x11000, .extended = true, .rax_valid = true},
         true,
         sev::InputError::kMissingInput},
        {{.request_gpa = 0x10000,
          .response_gpa = 0x11000,
          .extended = true,
          .rax_valid = true,
          .rbx_valid = true,
          .data_gpa = 0x20010,
          .data_pages = 1},
         true,
         sev::InputError::kInvalidInput},
    };
    for (const Row& r : rows) {
        const ExitAnswer a = answer_guest_request_without_psp(r.e, r.usable);
        CHECK(a.info1 == 2);
        CHECK(a.info2 == static_cast<uint64_t>(r.why));
    }
}

TEST_CASE("svm guest_request: the guest reads the answers as Linux's driver does") {
    CHECK(sev::guest_request_outcome(0, 0, false));
    CHECK(sev::guest_request_outcome(0, 0xffffffff00000000, false).error() == Error::kUnsupported);
    CHECK(sev::guest_request_outcome(0, 0x0000000200000000, false).error() == Error::kBusy);
    CHECK(sev::guest_request_outcome(0, 0x0000000100000000, true).error() == Error::kOutOfRange);
    // INVALID_LEN only means "more pages" for the extended form.
    CHECK(sev::guest_request_outcome(0, 0x0000000100000000, false).error() == Error::kUnsupported);
    CHECK(sev::guest_request_outcome(0, 0x16, false).error() == Error::kDenied);  // a firmware status
    CHECK(sev::guest_request_outcome(2, 5, false).error() == Error::kInvalidArgument);
    CHECK(sev::guest_request_outcome(1, 0x80000b0d, false).error() == Error::kDenied);
    CHECK(sev::guest_request_outcome(0xffffffff00000000, 0, false));  // only bits 31:0 of info1 count
}

TEST_CASE("svm guest_request: the guest's exchange against a host without the PSP path") {
    auto ghcb = std::make_unique<sev::Ghcb>();
    HostWithoutPsp host;
    auto r = sev::guest_request(host, *ghcb, sev::GuestRequest{.request_gpa = 0x10000, .response_gpa = 0x11000});
    REQUIRE(r);
    CHECK(host.exits == 1);
    CHECK(ghcb->get(sev::GhcbField::kSwExitCode) == 0x80000011);
    CHECK(sev::guest_request_outcome(r->info1, r->info2, false).error() == Error::kUnsupported);

    auto x = sev::guest_request(
        host, *ghcb,
        sev::GuestRequest{
            .request_gpa = 0x10000, .response_gpa = 0x11000, .extended = true, .data_gpa = 0x20000, .data_pages = 2});
    REQUIRE(x);
    CHECK(ghcb->get(sev::GhcbField::kSwExitCode) == 0x80000012);
    CHECK(ghcb->get(sev::GhcbField::kRbx) == 2);
    CHECK(sev::guest_request_outcome(x->info1, x->info2, true).error() == Error::kUnsupported);

    host.pages_usable = false;  // e.g. the response page is private
    auto bad = sev::guest_request(host, *ghcb, sev::GuestRequest{.request_gpa = 0x10000, .response_gpa = 0x11000});
    REQUIRE(bad);
    CHECK(bad->info1 == 2);
    CHECK(bad->info2 == 5);
    CHECK(sev::guest_request_outcome(bad->info1, bad->info2, false).error() == Error::kInvalidArgument);

    // Misaligned pages never reach the hypervisor.
    const sev::GuestRequest misaligned{.request_gpa = 0x10001, .response_gpa = 0x11000};
    CHECK(sev::guest_request(host, *ghcb, misaligned).error() == Error::kInvalidArgument);
    const sev::GuestRequest bad_data{
        .request_gpa = 0x10000, .response_gpa = 0x11000, .extended = true, .data_gpa = 0x3};
    CHECK(sev::guest_request(host, *ghcb, bad_data).error() == Error::kInvalidArgument);
    CHECK(host.exits == 3);
}
