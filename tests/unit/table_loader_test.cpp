#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "byte_builder.hpp"
#include "warden/acpi/madt.hpp"
#include "warden/acpi/table_loader.hpp"

using namespace warden;
using namespace warden::acpi;
using test_bytes::Bytes;
using test_bytes::put_le;

namespace {

// Builds a script entry by entry, at the field offsets of QEMU's
// struct BiosLinkerLoaderEntry (hw/acpi/bios-linker-loader.c).
struct ScriptBuilder {
    Bytes bytes;

    Bytes& entry(uint32_t command) {
        bytes.resize(bytes.size() + kLoaderEntrySize, 0);
        put_le(bytes, bytes.size() - kLoaderEntrySize, command, 4);
        return bytes;
    }
    size_t last() const { return bytes.size() - kLoaderEntrySize; }
    void name(size_t field, const char* n) { std::memcpy(&bytes[last() + field], n, std::strlen(n)); }

    ScriptBuilder& allocate(const char* file, uint32_t align, uint8_t zone) {
        entry(kLoaderAllocate);
        name(4, file);
        put_le(bytes, last() + 60, align, 4);
        bytes[last() + 64] = zone;
        return *this;
    }
    ScriptBuilder& add_pointer(const char* dest, const char* src, uint32_t offset, uint8_t size) {
        entry(kLoaderAddPointer);
        name(4, dest);
        name(60, src);
        put_le(bytes, last() + 116, offset, 4);
        bytes[last() + 120] = size;
        return *this;
    }
    ScriptBuilder& add_checksum(const char* file, uint32_t offset, uint32_t start, uint32_t length) {
        entry(kLoaderAddChecksum);
        name(4, file);
        put_le(bytes, last() + 60, offset, 4);
        put_le(bytes, last() + 64, start, 4);
        put_le(bytes, last() + 68, length, 4);
        return *this;
    }
    ScriptBuilder& write_pointer(const char* dest, const char* src, uint32_t dst_off, uint32_t src_off, uint8_t size) {
        entry(kLoaderWritePointer);
        name(4, dest);
        name(60, src);
        put_le(bytes, last() + 116, dst_off, 4);
        put_le(bytes, last() + 120, src_off, 4);
        bytes[last() + 124] = size;
        return *this;
    }
    ScriptBuilder& raw(uint32_t command) {
        entry(command);
        return *this;
    }
    // QEMU pads etc/table-loader with zero entries to a multiple of 4 KiB.
    ScriptBuilder& pad_to_4k() {
        bytes.resize((bytes.size() + 4095) / 4096 * 4096, 0);
        return *this;
    }
};

constexpr const char* kRsdp = "etc/acpi/rsdp";
constexpr const char* kTables = "etc/acpi/tables";
constexpr uint8_t kHigh = 1, kFseg = 2;

LoaderName loader_name(const char* n) {
    LoaderName out{};
    std::memcpy(out.data(), n, std::strlen(n));
    return out;
}

// An ACPI header: signature, length, revision 1; checksum left 0 for the loader.
void put_header(Bytes& b, size_t at, const char* sig, uint32_t length) {
    std::memcpy(&b[at], sig, 4);
    put_le(b, at + 4, length, 4);
    b[at + 8] = 1;
}

// The fake ACPI files: in etc/acpi/tables a "TST1" table at 0, an RSDT at 64
// listing it, an XSDT at 128 listing it; a revision 2 RSDP pointing at both.
// Pointer fields hold offsets into their target file, as QEMU leaves them.
struct FakeFiles {
    Bytes tables = Bytes(256, 0);
    Bytes rsdp = Bytes(kRsdpV2Size, 0);
    FakeFiles() {
        put_header(tables, 0, "TST1", kHeaderSize);
        put_header(tables, 64, "RSDT", kHeaderSize + 4);
        put_le(tables, 64 + kHeaderSize, 0, 4);
        put_header(tables, 128, "XSDT", kHeaderSize + 8);
        put_le(tables, 128 + kHeaderSize, 0, 8);
        std::memcpy(rsdp.data(), "RSD PTR ", 8);
        rsdp[15] = 2;
        put_le(rsdp, 16, 64, 4);
        put_le(rsdp, 20, kRsdpV2Size, 4);
        put_le(rsdp, 24, 128, 8);
    }
};

// The commands QEMU would send for FakeFiles, in QEMU's order.
ScriptBuilder qemu_shaped_script() {
    ScriptBuilder s;
    s.allocate(kRsdp, 16, kFseg)
        .allocate(kTables, 64, kHigh)
        .add_checksum(kTables, 9, 0, kHeaderSize)
        .add_pointer(kTables, kTables, 64 + kHeaderSize, 4)
        .add_checksum(kTables, 64 + 9, 64, kHeaderSize + 4)
        .add_pointer(kTables, kTables, 128 + kHeaderSize, 8)
        .add_checksum(kTables, 128 + 9, 128, kHeaderSize + 8)
        .add_pointer(kRsdp, kTables, 16, 4)
        .add_pointer(kRsdp, kTables, 24, 8)
        .add_checksum(kRsdp, 8, 0, kRsdpV1Size)
        .add_checksum(kRsdp, 32, 0, kRsdpV2Size)
        .pad_to_4k();
    return s;
}

constexpr uint64_t kRsdpAt = 0xe0000;
constexpr uint64_t kTablesAt = 0x7fe0000;

Bytes read_data(const char* name) {
    std::ifstream in(std::string(WARDEN_SOURCE_DIR "/tests/unit/data/") + name, std::ios::binary);
    REQUIRE(in.good());
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Bytes plus_one(Bytes b) {
    b.push_back(0);
    return b;
}

uint8_t sum(const Bytes& b, size_t from, size_t n) {
    uint8_t s = 0;
    for (size_t i = from; i < from + n; ++i) s = static_cast<uint8_t>(s + b[i]);
    return s;
}

}  // namespace

TEST_CASE("table_loader: constants match QEMU's bios-linker-loader.c") {
    CHECK(kLoaderEntrySize == 128);
    CHECK(kLoaderNameSize == 56);
    CHECK(kLoaderAllocate == 1);
    CHECK(kLoaderAddPointer == 2);
    CHECK(kLoaderAddChecksum == 3);
    CHECK(kLoaderWritePointer == 4);
    CHECK(static_cast<uint8_t>(LoaderZone::kHigh) == 1);
    CHECK(static_cast<uint8_t>(LoaderZone::kFseg) == 2);
    CHECK(kTableLoaderFile == "etc/table-loader");
    CHECK(kRsdpFile == "etc/acpi/rsdp");
}

TEST_CASE("table_loader: a QEMU-shaped script parses into its files and commands") {
    const auto r = parse_table_loader(qemu_shaped_script().bytes);
    REQUIRE(r.ok());
    REQUIRE(r->files().size() == 2);
    CHECK(r->files()[0].name_view() == kRsdp);
    CHECK(r->files()[0].alignment == 16);
    CHECK(r->files()[0].zone == LoaderZone::kFseg);
    CHECK(r->files()[1].name_view() == kTables);
    CHECK(r->files()[1].alignment == 64);
    CHECK(r->files()[1].zone == LoaderZone::kHigh);
    CHECK(r->rsdp_file().value_or(99) == 0);
    CHECK(r->find(kTables).value_or(99) == 1);
    CHECK(r->find("etc/acpi/nothing").error() == Error::kNotFound);
    REQUIRE(r->commands().size() == 9);
    const LoaderCommand& p = r->commands()[1];
    CHECK(p.op == LoaderOp::kAddPointer);
    CHECK(p.file == 1);
    CHECK(p.source == 1);
    CHECK(p.offset == 64 + kHeaderSize);
    CHECK(p.size == 4);
    const LoaderCommand& c = r->commands()[8];
    CHECK(c.op == LoaderOp::kAddChecksum);
    CHECK(c.file == 0);
    CHECK(c.offset == 32);
    CHECK(c.start == 0);
    CHECK(c.length == kRsdpV2Size);
    CHECK(r->write_pointers == 0);
    CHECK(r->unknown == 0);  // the zero padding is not an unknown command
}

TEST_CASE("table_loader: applied to fake blobs it links and checksums the tables") {
    FakeFiles f;
    const auto script = parse_table_loader(qemu_shaped_script().bytes);
    REQUIRE(script.ok());
    const Blob blobs[] = {{loader_name(kTables), f.tables, kTablesAt}, {loader_name(kRsdp), f.rsdp, kRsdpAt}};
    REQUIRE(apply(*script, blobs).ok());

    const auto rsdp = parse_rsdp(f.rsdp);  // both RSDP checksums hold
    REQUIRE(rsdp.ok());
    CHECK(rsdp->rsdt == kTablesAt + 64);
    CHECK(rsdp->xsdt == kTablesAt + 128);
    const std::span<const uint8_t> tables(f.tables);
    CHECK(parse_header(tables).ok());
    const auto rsdt = parse_root_table(tables.subspan(64), false);
    REQUIRE(rsdt.ok());
    REQUIRE(rsdt->count == 1);
    CHECK(rsdt->address[0] == kTablesAt);
    const auto xsdt = parse_root_table(tables.subspan(128), true);
    REQUIRE(xsdt.ok());
    REQUIRE(xsdt->count == 1);
    CHECK(xsdt->address[0] == kTablesAt);
}

TEST_CASE("table_loader: ADD_POINTER adds the source address at every width, and extra blobs are ignored") {
    for (uint8_t size : {1, 2, 4, 8}) {
        CAPTURE(size);
        ScriptBuilder s;
        s.allocate("a", 1, kHigh).allocate("b", 1, kHigh).add_pointer("a", "b", 3, size);
        const auto script = parse_table_loader(s.bytes);
        REQUIRE(script.ok());
        Bytes a(3 + size, 0xee), b(0x20, 0), unused(4, 0);
        put_le(a, 3, 0x11, size);  // offset 0x11 into b
        const Blob blobs[] = {
            {loader_name("unused"), unused, 0}, {loader_name("b"), b, 0x40}, {loader_name("a"), a, 0}};
        REQUIRE(apply(*script, blobs).ok());
        uint64_t value = 0;
        for (size_t i = 0; i < size; ++i) value |= uint64_t{a[3 + i]} << (8 * i);
        CHECK(value == 0x51);
        CHECK(a[2] == 0xee);  // neighbours untouched
    }
}

TEST_CASE("table_loader: ADD_CHECKSUM makes its range sum to zero whatever the byte held") {
    ScriptBuilder s;
    s.allocate("t", 1, kHigh).add_checksum("t", 5, 2, 10);
    const auto script = parse_table_loader(s.bytes);
    REQUIRE(script.ok());
    Bytes t(16);
    for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<uint8_t>(0x31 * i + 7);
    const Bytes before = t;
    const Blob blobs[] = {{loader_name("t"), t, 0x1000}};
    REQUIRE(apply(*script, blobs).ok());
    CHECK(sum(t, 2, 10) == 0);
    for (size_t i = 0; i < t.size(); ++i) {
        if (i != 5) CHECK(t[i] == before[i]);
    }
}

TEST_CASE("table_loader: QEMU 7.2's real script parses and links QEMU's real tables") {
    const auto script_bytes = read_data("qemu72-pc-128m.table-loader");
    REQUIRE(script_bytes.size() == 4096);
    const auto script = parse_table_loader(script_bytes);
    REQUIRE(script.ok());
    REQUIRE(script->files().size() == 2);
    CHECK(script->files()[0].name_view() == kRsdp);
    CHECK(script->files()[0].alignment == 16);
    CHECK(script->files()[0].zone == LoaderZone::kFseg);
    CHECK(script->files()[1].name_view() == kTables);
    CHECK(script->files()[1].alignment == 64);
    CHECK(script->files()[1].zone == LoaderZone::kHigh);
    CHECK(script->commands().size() == 14);
    CHECK(script->write_pointers == 0);
    CHECK(script->unknown == 0);
    REQUIRE(script->rsdp_file().value_or(99) == 0);

    Bytes rsdp = read_data("qemu72-pc-128m-tcg.rsdp");
    Bytes tables = read_data("qemu72-pc-128m-tcg.acpi-tables");
    tables.resize(131072, 0);  // the file as QEMU serves it: see tests/unit/data/README.md
    const Blob blobs[] = {{loader_name(kRsdp), rsdp, kRsdpAt}, {loader_name(kTables), tables, kTablesAt}};
    REQUIRE(apply(*script, blobs).ok());

    const auto r = parse_rsdp(rsdp);
    REQUIRE(r.ok());
    CHECK(r->revision == 0);
    REQUIRE(r->rsdt >= kTablesAt);
    REQUIRE(r->rsdt < kTablesAt + tables.size());
    const std::span<const uint8_t> all(tables);
    const auto rsdt = parse_root_table(all.subspan(r->rsdt - kTablesAt), false);
    REQUIRE(rsdt.ok());
    REQUIRE(rsdt->count == 4);
    const char* expected[] = {"FACP", "APIC", "HPET", "WAET"};
    for (size_t i = 0; i < rsdt->count; ++i) {
        CAPTURE(i);
        REQUIRE(rsdt->address[i] >= kTablesAt);
        REQUIRE(rsdt->address[i] < kTablesAt + tables.size());
        const auto table = all.subspan(rsdt->address[i] - kTablesAt);
        const auto h = parse_header(table);  // checksum set by the loader
        REQUIRE(h.ok());
        CHECK(std::string(h->signature.data(), 4) == expected[i]);
        if (i == 1) {
            const auto madt = parse_madt(table);
            REQUIRE(madt.ok());
            CHECK(madt->cpu_count == 1);
        }
    }
    // The FADT's DSDT pointer (offset 40) was linked too.
    const auto facp = all.subspan(rsdt->address[0] - kTablesAt);
    const uint64_t dsdt =
        uint64_t{facp[40]} | uint64_t{facp[41]} << 8 | uint64_t{facp[42]} << 16 | uint64_t{facp[43]} << 24;
    REQUIRE(dsdt >= kTablesAt);
    const auto d = parse_header(all.subspan(dsdt - kTablesAt));
    REQUIRE(d.ok());
    CHECK(std::string(d->signature.data(), 4) == "DSDT");
}

TEST_CASE("table_loader: boundaries") {
    SUBCASE("an empty script has no files and no RSDP") {
        const auto r = parse_table_loader({});
        REQUIRE(r.ok());
        CHECK(r->files().empty());
        CHECK(r->rsdp_file().error() == Error::kNotFound);
    }
    SUBCASE("alignment 0 reads as 1, the largest is a page") {
        ScriptBuilder s;
        s.allocate("a", 0, kHigh).allocate("b", kLoaderMaxAlignment, kHigh);
        const auto r = parse_table_loader(s.bytes);
        REQUIRE(r.ok());
        CHECK(r->files()[0].alignment == 1);
        CHECK(r->files()[1].alignment == kLoaderMaxAlignment);
    }
    SUBCASE("a 55-character name, and bytes after the NUL are dropped") {
        const std::string long_name(kLoaderNameSize - 1, 'x');
        ScriptBuilder s;
        s.allocate(long_name.c_str(), 1, kHigh).allocate("b", 1, kHigh);
        s.bytes[s.last() + 4 + 10] = 'j';  // "b\0...\0j"
        const auto r = parse_table_loader(s.bytes);
        REQUIRE(r.ok());
        CHECK(r->files()[0].name_view() == long_name);
        CHECK(r->files()[1].name_view() == "b");
        CHECK(r->files()[1].name[10] == '\0');
    }
    SUBCASE("kMaxFiles files and kMaxCommands commands") {
        ScriptBuilder s;
        for (size_t i = 0; i < TableLoaderScript::kMaxFiles; ++i) s.allocate(("f" + std::to_string(i)).c_str(), 1, 1);
        for (size_t i = 0; i < TableLoaderScript::kMaxCommands; ++i) s.add_checksum("f0", 0, 0, 1);
        const auto r = parse_table_loader(s.bytes);
        REQUIRE(r.ok());
        CHECK(r->files().size() == TableLoaderScript::kMaxFiles);
        CHECK(r->commands().size() == TableLoaderScript::kMaxCommands);
    }
    SUBCASE("the checksum byte may be the range's first or last") {
        ScriptBuilder s;
        s.allocate("t", 1, kHigh).add_checksum("t", 4, 4, 1).add_checksum("t", 7, 0, 8);
        CHECK(parse_table_loader(s.bytes).ok());
    }
    SUBCASE("a pointer or range that ends exactly at the blob's end") {
        ScriptBuilder s;
        s.allocate("a", 1, kHigh).add_pointer("a", "a", 4, 4).add_checksum("a", 0, 0, 8);
        const auto script = parse_table_loader(s.bytes);
        REQUIRE(script.ok());
        Bytes a(8, 0);
        put_le(a, 4, 7, 4);  // the last byte of a
        const Blob blobs[] = {{loader_name("a"), a, 0x100}};
        REQUIRE(apply(*script, blobs).ok());
        CHECK(a[4] == 0x07);
        CHECK(a[5] == 0x01);
        CHECK(sum(a, 0, 8) == 0);
    }
    SUBCASE("a 1-byte pointer reaching 0xff") {
        ScriptBuilder s;
        s.allocate("a", 1, kHigh).add_pointer("a", "a", 0, 1);
        const auto script = parse_table_loader(s.bytes);
        REQUIRE(script.ok());
        Bytes a(16, 0);
        a[0] = 15;
        const Blob blobs[] = {{loader_name("a"), a, 0xf0}};
        REQUIRE(apply(*script, blobs).ok());
        CHECK(a[0] == 0xff);
    }
}

TEST_CASE("table_loader: WRITE_POINTER is checked, counted and not run; unknown commands are skipped") {
    ScriptBuilder s;
    s.allocate("etc/vmgenid_guid", 4096, kHigh)
        .write_pointer("etc/vmgenid_addr", "etc/vmgenid_guid", 0, 40, 8)
        .raw(5)
        .raw(0xffffffff)
        .pad_to_4k();
    const auto r = parse_table_loader(s.bytes);
    REQUIRE(r.ok());
    CHECK(r->files().size() == 1);  // the write-pointer destination is a fw_cfg file, not a loaded one
    CHECK(r->commands().empty());
    CHECK(r->write_pointers == 1);
    CHECK(r->unknown == 2);
    Bytes guid(4096, 0x5a);
    const Blob blobs[] = {{loader_name("etc/vmgenid_guid"), guid, 0x100000}};
    REQUIRE(apply(*r, blobs).ok());
    CHECK(guid[40] == 0x5a);
}

TEST_CASE("table_loader: malformed scripts fail with the exact error") {
    struct Bad {
        const char* what;
        Bytes bytes;
        Error expected;
    };
    auto alloc = [](const char* name, uint32_t align = 1, uint8_t zone = kHigh) {
        ScriptBuilder s;
        s.allocate(name, align, zone);
        return s;
    };
    auto unterminated = [](size_t field, ScriptBuilder s) {
        std::memset(&s.bytes[s.last() + field], 'n', kLoaderNameSize);
        return s.bytes;
    };
    ScriptBuilder too_many_files;
    for (size_t i = 0; i <= TableLoaderScript::kMaxFiles; ++i) {
        too_many_files.allocate(("f" + std::to_string(i)).c_str(), 1, kHigh);
    }
    ScriptBuilder too_many_commands = alloc("t");
    for (size_t i = 0; i <= TableLoaderScript::kMaxCommands; ++i) too_many_commands.add_checksum("t", 0, 0, 1);
    const Bytes good = qemu_shaped_script().bytes;

    const Bad cases[] = {
        {"one byte short of an entry", Bytes(kLoaderEntrySize - 1, 0), Error::kTruncated},
        {"one byte past the last entry", plus_one(good), Error::kTruncated},
        {"QEMU's script cut mid-entry", Bytes(good.begin(), good.begin() + 3 * kLoaderEntrySize + 64),
         Error::kTruncated},
        {"ALLOCATE name without NUL", unterminated(4, alloc("x")), Error::kInvalidArgument},
        {"ALLOCATE empty name", alloc("").bytes, Error::kInvalidArgument},
        {"ALLOCATE twice", alloc("t").allocate("t", 1, kHigh).bytes, Error::kInvalidArgument},
        {"alignment 3", alloc("t", 3).bytes, Error::kInvalidArgument},
        {"alignment 0x30", alloc("t", 0x30).bytes, Error::kInvalidArgument},
        {"alignment 0xffffffff", alloc("t", 0xffffffff).bytes, Error::kInvalidArgument},
        {"alignment above a page", alloc("t", 2 * kLoaderMaxAlignment).bytes, Error::kUnsupported},
        {"alignment 2^31", alloc("t", 0x80000000).bytes, Error::kUnsupported},
        {"zone 0", alloc("t", 1, 0).bytes, Error::kInvalidArgument},
        {"zone 3", alloc("t", 1, 3).bytes, Error::kInvalidArgument},
        {"ADD_POINTER to a file never allocated", alloc("t").add_pointer("u", "t", 0, 4).bytes, Error::kNotFound},
        {"ADD_POINTER from a file never allocated", alloc("t").add_pointer("t", "u", 0, 4).bytes, Error::kNotFound},
        {"ADD_POINTER before its ALLOCATE", ScriptBuilder{}.add_pointer("t", "t", 0, 4).allocate("t", 1, 1).bytes,
         Error::kNotFound},
        {"ADD_POINTER destination without NUL", unterminated(4, alloc("t").add_pointer("t", "t", 0, 4)),
         Error::kInvalidArgument},
        {"ADD_POINTER source without NUL", unterminated(60, alloc("t").add_pointer("t", "t", 0, 4)),
         Error::kInvalidArgument},
        {"ADD_POINTER size 0", alloc("t").add_pointer("t", "t", 0, 0).bytes, Error::kInvalidArgument},
        {"ADD_POINTER size 3", alloc("t").add_pointer("t", "t", 0, 3).bytes, Error::kInvalidArgument},
        {"ADD_POINTER size 16", alloc("t").add_pointer("t", "t", 0, 16).bytes, Error::kInvalidArgument},
        {"ADD_CHECKSUM of a file never allocated", alloc("t").add_checksum("u", 0, 0, 1).bytes, Error::kNotFound},
        {"ADD_CHECKSUM name without NUL", unterminated(4, alloc("t").add_checksum("t", 0, 0, 1)),
         Error::kInvalidArgument},
        {"checksum byte before its range", alloc("t").add_checksum("t", 1, 2, 4).bytes, Error::kOutOfRange},
        {"checksum byte just past its range", alloc("t").add_checksum("t", 6, 2, 4).bytes, Error::kOutOfRange},
        {"empty checksum range", alloc("t").add_checksum("t", 2, 2, 0).bytes, Error::kOutOfRange},
        {"checksum range past 2^32", alloc("t").add_checksum("t", 0, 0xffffffff, 0xffffffff).bytes, Error::kOutOfRange},
        {"WRITE_POINTER from a file never allocated", alloc("t").write_pointer("w", "u", 0, 0, 8).bytes,
         Error::kNotFound},
        {"WRITE_POINTER destination without NUL", unterminated(4, alloc("t").write_pointer("w", "t", 0, 0, 8)),
         Error::kInvalidArgument},
        {"WRITE_POINTER size 5", alloc("t").write_pointer("w", "t", 0, 0, 5).bytes, Error::kInvalidArgument},
        {"more than kMaxFiles files", too_many_files.bytes, Error::kOutOfRange},
        {"more than kMaxCommands commands", too_many_commands.bytes, Error::kOutOfRange},
    };
    for (const Bad& c : cases) {
        CAPTURE(c.what);
        CHECK(parse_table_loader(c.bytes).error() == c.expected);
    }
}

TEST_CASE("table_loader: apply refuses blobs and commands that do not fit, with the exact error") {
    struct Bad {
        const char* what;
        ScriptBuilder script;
        Bytes a;
        uint64_t a_at;
        Error expected;
    };
    auto two = [] {
        ScriptBuilder s;
        s.allocate("a", 16, kHigh).allocate("b", 1, kHigh);
        return s;
    };
    auto pointer_to = [](uint64_t value, size_t size) {
        Bytes a(16, 0);
        put_le(a, 0, value, size);
        return a;
    };
    const Bytes a16(16, 0);
    const Bad cases[] = {
        {"a blob missing", ScriptBuilder{}.allocate("c", 1, kHigh), a16, 0, Error::kNotFound},
        {"a blob off its alignment", two(), a16, 0x1008, Error::kMisaligned},
        {"a blob wrapping past 2^64", two(), a16, 0xfffffffffffffff0, Error::kOverflow},
        {"pointer past the destination's end", two().add_pointer("a", "b", 13, 4), a16, 0, Error::kOutOfRange},
        {"pointer far past the destination's end", two().add_pointer("a", "b", 0xfffffffc, 8), a16, 0,
         Error::kOutOfRange},
        {"pointer value at the source's end", two().add_pointer("a", "b", 0, 4), pointer_to(0x100, 4), 0,
         Error::kOutOfRange},
        {"pointer value far outside the source", two().add_pointer("a", "b", 0, 8), pointer_to(~0ull, 8), 0,
         Error::kOutOfRange},
        {"patched 1-byte pointer too wide", two().add_pointer("a", "b", 0, 1), pointer_to(0x10, 1), 0,
         Error::kOverflow},
        {"patched 2-byte pointer too wide", two().add_pointer("a", "b", 0, 2), pointer_to(0x10, 2), 0,
         Error::kOverflow},
        {"checksum range past the blob's end", two().add_checksum("a", 0, 0, 17), a16, 0, Error::kOutOfRange},
        {"checksum range far past the blob's end", two().add_checksum("a", 0xfffffff0, 0xfffffff0, 1), a16, 0,
         Error::kOutOfRange},
    };
    for (const Bad& c : cases) {
        CAPTURE(c.what);
        const auto script = parse_table_loader(c.script.bytes);
        REQUIRE(script.ok());
        Bytes a = c.a, b(0x100, 0);
        const Blob blobs[] = {{loader_name("a"), a, c.a_at}, {loader_name("b"), b, 0xfff00}};
        CHECK(apply(*script, blobs).error() == c.expected);
    }
}

TEST_CASE("table_loader: apply refuses a hand-made script with indices past its files") {
    TableLoaderScript s;
    s.file_table[0] = LoaderFile{loader_name("a"), 1, LoaderZone::kHigh};
    s.file_count = 1;
    s.command_table[0] = LoaderCommand{LoaderOp::kAddPointer, 0, 3, 4, 0, 0, 0};
    s.command_count = 1;
    Bytes a(16, 0);
    const Blob blobs[] = {{loader_name("a"), a, 0}};
    CHECK(apply(s, blobs).error() == Error::kInvalidArgument);
    s.command_table[0] = LoaderCommand{LoaderOp::kAddPointer, 0, 0, 3, 0, 0, 0};
    CHECK(apply(s, blobs).error() == Error::kInvalidArgument);
    s.file_count = TableLoaderScript::kMaxFiles + 1;
    CHECK(apply(s, blobs).error() == Error::kInvalidArgument);
}
