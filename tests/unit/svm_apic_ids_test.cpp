#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <vector>

#include "warden/svm/apic_ids.hpp"

using namespace warden::svm;
using Kind = ApicIdAnswer::Kind;

// The layout is edk2's consumer's (MdePkg Register/Amd/Ghcb.h GHCB_APIC_IDS:
// UINT32 NumEntries, then UINT32 ApicIds[]), and its two requests
// (PlatformPei AmdSevSnpGetApicIds: RAX 0 with no buffer, then RAX = the
// pages it was told, at a page it allocated).
TEST_CASE("svm apic_ids: RAX 0 asks the size; the buffer is written only when it is big enough") {
    const auto size = answer_apic_ids(0, 0, 2);
    CHECK(size.kind == Kind::kSize);
    CHECK(size.rax == 1);
    CHECK(size.bytes == 0);
    const auto fill = answer_apic_ids(1, 0x7f000, 2);
    CHECK(fill.kind == Kind::kFill);
    CHECK(fill.rax == 1);  // as the guest gave it: edk2 checks RAX == the pages it asked for
    CHECK(fill.bytes == 12);
    // More pages than needed: still only the list is written.
    CHECK(answer_apic_ids(3, 0x7f000, 2).rax == 3);
    CHECK(answer_apic_ids(3, 0x7f000, 2).bytes == 12);
}

TEST_CASE("svm apic_ids: the page count at the boundary of one page (1023 IDs fit, 1024 do not)") {
    CHECK(apic_id_list_pages(0) == 1);
    CHECK(apic_id_list_pages(1023) == 1);  // 4 + 4 * 1023 = 4096
    CHECK(apic_id_list_pages(1024) == 2);
    CHECK(answer_apic_ids(1, 0x1000, 1024).kind == Kind::kSize);
    CHECK(answer_apic_ids(1, 0x1000, 1024).rax == 2);
    CHECK(answer_apic_ids(2, 0x1000, 1024).kind == Kind::kFill);
}

TEST_CASE("svm apic_ids: malformed requests: a misaligned buffer is refused, a huge RAX is taken as big enough") {
    CHECK(answer_apic_ids(1, 0x7f008, 2).kind == Kind::kMisaligned);
    CHECK(answer_apic_ids(1, 0xfff, 2).kind == Kind::kMisaligned);
    // Too small wins over misaligned: nothing is written either way, and the guest learns the size.
    CHECK(answer_apic_ids(0, 0x7f008, 2).kind == Kind::kSize);
    const auto huge = answer_apic_ids(~uint64_t{0}, 0x1000, 8);
    CHECK(huge.kind == Kind::kFill);
    CHECK(huge.bytes == 36);
}

TEST_CASE("svm apic_ids: the list is the count then the IDs, little endian, nothing past it") {
    const std::array<uint32_t, 3> ids{0, 1, 0x12345678};
    std::array<uint8_t, 20> out;
    out.fill(0xaa);
    REQUIRE(write_apic_id_list(ids, out));
    const uint8_t expect[20] = {3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x78, 0x56, 0x34, 0x12, 0xaa, 0xaa, 0xaa, 0xaa};
    CHECK(std::memcmp(out.data(), expect, sizeof expect) == 0);
    std::array<uint8_t, 15> small;
    small.fill(0xaa);
    CHECK_FALSE(write_apic_id_list(ids, small));
    for (uint8_t b : small) CHECK(b == 0xaa);
    std::array<uint8_t, 4> empty_list{};
    CHECK(write_apic_id_list({}, empty_list));
    CHECK(empty_list[0] == 0);
}
