#include <doctest/doctest.h>

#include <memory>

#include "warden/sev/ghcb.hpp"

using namespace warden;
using namespace warden::sev;

TEST_CASE("ghcb: offsets and exit codes follow the GHCB spec (SPEC-FACTS 5)") {
    CHECK(static_cast<int>(GhcbField::kRax) == 0x1f8);
    CHECK(static_cast<int>(GhcbField::kRcx) == 0x308);
    CHECK(static_cast<int>(GhcbField::kSwExitCode) == 0x390);
    CHECK(static_cast<int>(GhcbField::kSwScratch) == 0x3a8);
    CHECK(kGhcbValidBitmap == 0x3f0);
    CHECK(kGhcbSharedBuffer == 0x800);
    CHECK(kGhcbSharedBufferSize == 2032);
    CHECK(kGhcbProtocolVersion == 0xffa);
    CHECK(exit::kIoio == 0x7b);
    CHECK(exit::kMsr == 0x7c);
    CHECK(exit::kPageStateChange == 0x80000010);
    CHECK(exit::kApCreation == 0x80000013);
}

TEST_CASE("ghcb: writing a field marks its quadword in the valid bitmap") {
    auto g = std::make_unique<Ghcb>();
    g->begin();
    CHECK_FALSE(g->is_valid(GhcbField::kRax));
    g->set(GhcbField::kRax, 0x1234);
    CHECK(g->is_valid(GhcbField::kRax));
    CHECK(g->get(GhcbField::kRax) == 0x1234);
    // rax at 0x1f8 is quadword 0x3f: bit 7 of bitmap byte 7.
    CHECK(g->raw()[kGhcbValidBitmap + 7] == 0x80);
    g->set(GhcbField::kCpl, 0);
    CHECK((g->raw()[kGhcbValidBitmap + 0x19 / 8] & (1u << (0x19 % 8))) != 0);
    g->set_exit(exit::kCpuid, 0, 0);
    CHECK(g->is_valid(GhcbField::kSwExitCode));
    CHECK(g->is_valid(GhcbField::kSwExitInfo2));
    g->begin();  // a new request forgets the old fields
    CHECK_FALSE(g->is_valid(GhcbField::kRax));
    CHECK(g->get(GhcbField::kSwExitCode) == 0);
    CHECK(g->raw()[kGhcbProtocolVersion] == kGhcbVersion);
}

TEST_CASE("ghcb: the hypervisor's result is read from exit_info_1") {
    auto g = std::make_unique<Ghcb>();
    g->begin();
    g->set(GhcbField::kSwExitInfo1, 0);
    CHECK(g->check_result().ok());
    g->set(GhcbField::kSwExitInfo1, 1);
    CHECK(g->check_result().error() == Error::kDenied);
    g->set(GhcbField::kSwExitInfo1, 0xffffffff00000000ull);  // only the low half carries the result
    CHECK(g->check_result().ok());
}
