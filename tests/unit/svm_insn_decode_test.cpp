#include <doctest/doctest.h>

#include <string_view>
#include <vector>

#include "warden/svm/insn_decode.hpp"

using namespace warden;
using namespace warden::svm;

namespace {
Result<Decoded> dec(std::vector<uint8_t> b) { return decode_intercepted(b); }
}  // namespace

TEST_CASE("svm insn_decode: each intercepted instruction and its length") {
    struct Case {
        std::vector<uint8_t> bytes;
        Insn insn;
        uint8_t length;
    };
    const Case cases[] = {
        {{0x0f, 0xa2}, Insn::kCpuid, 2},
        {{0x0f, 0x32}, Insn::kRdmsr, 2},
        {{0x0f, 0x30}, Insn::kWrmsr, 2},
        {{0x0f, 0x31}, Insn::kRdtsc, 2},
        {{0x0f, 0x01, 0xf9}, Insn::kRdtscp, 3},
        {{0xf4}, Insn::kHlt, 1},
        {{0x0f, 0x01, 0xd9}, Insn::kVmmcall, 3},
        {{0xf3, 0x0f, 0x01, 0xd9}, Insn::kVmgexit, 4},
        {{0xf2, 0x0f, 0x01, 0xff}, Insn::kPvalidate, 4},
        {{0xf3, 0x0f, 0x01, 0xfe}, Insn::kRmpadjust, 4},
        {{0xf3, 0x0f, 0x01, 0xfd}, Insn::kRmpquery, 4},
        {{0x66, 0x0f, 0xa2}, Insn::kCpuid, 3},
        {{0x48, 0x0f, 0x32}, Insn::kRdmsr, 3},
        {{0x2e, 0x66, 0x48, 0x0f, 0x30}, Insn::kWrmsr, 5},
        {{0xf2, 0xf3, 0x0f, 0x01, 0xd9}, Insn::kVmgexit, 5},  // the last of F2/F3 counts
        {{0xf3, 0xf2, 0x0f, 0x01, 0xff}, Insn::kPvalidate, 5},
        {{0x0f, 0xa2, 0x90, 0x90}, Insn::kCpuid, 2},  // what follows is not read
    };
    for (const auto& c : cases) {
        auto r = dec(c.bytes);
        REQUIRE(r);
        CHECK(r->insn == c.insn);
        CHECK(r->length == c.length);
    }
    CHECK(std::string_view(insn_name(Insn::kPvalidate)) == "PVALIDATE");
}

TEST_CASE("svm insn_decode: malformed and foreign instructions, with the exact error") {
    struct Case {
        std::vector<uint8_t> bytes;
        Error error;
    };
    std::vector<uint8_t> fifteen_prefixes(15, 0x66);
    fifteen_prefixes.push_back(0x0f);
    std::vector<uint8_t> long_one(13, 0x66);  // 13 prefixes + REX + 0F A2 = 16 bytes
    long_one.insert(long_one.end(), {0x48, 0x0f, 0xa2});
    const Case cases[] = {
        {{}, Error::kTruncated},
        {{0x66}, Error::kTruncated},
        {{0x0f}, Error::kTruncated},
        {{0x0f, 0x01}, Error::kTruncated},
        {{0xf3, 0x0f, 0x01}, Error::kTruncated},
        {{0x90}, Error::kUnsupported},
        {{0x0f, 0x0b}, Error::kUnsupported},              // UD2
        {{0x0f, 0x01, 0xff}, Error::kUnsupported},        // TLBSYNC, not PVALIDATE
        {{0x0f, 0x01, 0xfe}, Error::kUnsupported},        // INVLPGB, not RMPADJUST
        {{0xf3, 0x0f, 0x01, 0xff}, Error::kUnsupported},  // wrong mandatory prefix
        {{0xf0, 0x0f, 0xa2}, Error::kUnsupported},        // LOCK: #UD
        {{0x48, 0x66, 0x0f, 0xa2}, Error::kUnsupported},  // REX not last: 66 is the opcode byte then
        {fifteen_prefixes, Error::kOutOfRange},
        {long_one, Error::kOutOfRange},
    };
    for (const auto& c : cases) {
        auto r = dec(c.bytes);
        REQUIRE_FALSE(r);
        CHECK(r.error() == c.error);
    }
}
