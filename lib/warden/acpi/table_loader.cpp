// Parsing and running QEMU's ACPI linker/loader script.
#include "warden/acpi/table_loader.hpp"

#include "warden/addr.hpp"
#include "warden/bytes.hpp"
#include "warden/checked.hpp"

namespace warden::acpi {
namespace {

// Field offsets in a BiosLinkerLoaderEntry (QEMU_PACKED; the union starts at
// byte 4). The first name is alloc.file, pointer.dest_file, cksum.file or
// wr_pointer.dest_file; the second pointer.src_file or wr_pointer.src_file.
constexpr size_t kCommand = 0;
constexpr size_t kFirstName = 4;
constexpr size_t kSecondName = 60;
constexpr size_t kAllocAlign = 60, kAllocZone = 64;
constexpr size_t kPointerOffset = 116, kPointerSize = 120;
constexpr size_t kChecksumOffset = 60, kChecksumStart = 64, kChecksumLength = 68;
constexpr size_t kWritePointerSize = 124;  // after dst_offset (116) and src_offset (120)

std::string_view view(const LoaderName& name) {
    size_t n = 0;
    while (n < name.size() && name[n] != '\0') ++n;
    return {name.data(), n};
}

bool is_pointer_size(uint8_t size) { return size == 1 || size == 2 || size == 4 || size == 8; }

bool all_zero(std::span<const uint8_t> entry) {
    for (uint8_t b : entry) {
        if (b != 0) return false;
    }
    return true;
}

// A name field: NUL-terminated inside its 56 bytes, and not empty. Bytes after
// the NUL are not kept.
Result<LoaderName> read_name(std::span<const uint8_t> entry, size_t at) {
    LoaderName name{};
    size_t n = 0;
    while (n < kLoaderNameSize && entry[at + n] != 0) {
        name[n] = static_cast<char>(entry[at + n]);
        ++n;
    }
    if (n == 0 || n == kLoaderNameSize) return Fail(Error::kInvalidArgument);
    return name;
}

// The index of the file a name field refers to: it must be allocated already
// ("before this file is referenced by any other command", bios-linker-loader.c).
Result<uint8_t> allocated_file(const TableLoaderScript& s, std::span<const uint8_t> entry, size_t at) {
    WARDEN_TRY(name, read_name(entry, at));
    WARDEN_TRY(index, s.find(view(name)));
    return static_cast<uint8_t>(index);
}

Result<void> parse_allocate(std::span<const uint8_t> e, TableLoaderScript& s) {
    WARDEN_TRY(name, read_name(e, kFirstName));
    if (s.find(view(name))) return Fail(Error::kInvalidArgument);  // "exactly once for each file"
    uint32_t alignment = load_le<uint32_t>(e, kAllocAlign);
    if (alignment == 0) alignment = 1;  // QEMU's own check (align & (align - 1)) lets 0 through
    if (!is_power_of_two(alignment)) return Fail(Error::kInvalidArgument);
    if (alignment > kLoaderMaxAlignment) return Fail(Error::kUnsupported);
    const uint8_t zone = e[kAllocZone];
    if (zone != static_cast<uint8_t>(LoaderZone::kHigh) && zone != static_cast<uint8_t>(LoaderZone::kFseg)) {
        return Fail(Error::kInvalidArgument);
    }
    if (s.file_count == TableLoaderScript::kMaxFiles) return Fail(Error::kOutOfRange);
    s.file_table[s.file_count++] = LoaderFile{name, alignment, static_cast<LoaderZone>(zone)};
    return {};
}

Result<void> add_command(const LoaderCommand& c, TableLoaderScript& s) {
    if (s.command_count == TableLoaderScript::kMaxCommands) return Fail(Error::kOutOfRange);
    s.command_table[s.command_count++] = c;
    return {};
}

Result<void> parse_add_pointer(std::span<const uint8_t> e, TableLoaderScript& s) {
    WARDEN_TRY(dest, allocated_file(s, e, kFirstName));
    WARDEN_TRY(source, allocated_file(s, e, kSecondName));
    LoaderCommand c;
    c.op = LoaderOp::kAddPointer;
    c.file = dest;
    c.source = source;
    c.offset = load_le<uint32_t>(e, kPointerOffset);
    c.size = e[kPointerSize];
    if (!is_pointer_size(c.size)) return Fail(Error::kInvalidArgument);
    return add_command(c, s);
}

Result<void> parse_add_checksum(std::span<const uint8_t> e, TableLoaderScript& s) {
    WARDEN_TRY(file, allocated_file(s, e, kFirstName));
    LoaderCommand c;
    c.op = LoaderOp::kAddChecksum;
    c.file = file;
    c.offset = load_le<uint32_t>(e, kChecksumOffset);
    c.start = load_le<uint32_t>(e, kChecksumStart);
    c.length = load_le<uint32_t>(e, kChecksumLength);
    // QEMU asserts the checksum byte lies in the range: only then can the
    // range be made to sum to zero. 64-bit sums of 32-bit fields cannot wrap.
    if (c.offset < c.start || c.offset >= uint64_t{c.start} + c.length) return Fail(Error::kOutOfRange);
    return add_command(c, s);
}

// Checked like the others but not run (see TableLoaderScript::write_pointers).
// Its destination is a writable fw_cfg file, not an allocated one.
Result<void> parse_write_pointer(std::span<const uint8_t> e, TableLoaderScript& s) {
    WARDEN_TRY_VOID(read_name(e, kFirstName));
    WARDEN_TRY_VOID(allocated_file(s, e, kSecondName));
    if (!is_pointer_size(e[kWritePointerSize])) return Fail(Error::kInvalidArgument);
    ++s.write_pointers;
    return {};
}

Result<void> parse_entry(std::span<const uint8_t> e, TableLoaderScript& s) {
    switch (load_le<uint32_t>(e, kCommand)) {
    case kLoaderAllocate: return parse_allocate(e, s);
    case kLoaderAddPointer: return parse_add_pointer(e, s);
    case kLoaderAddChecksum: return parse_add_checksum(e, s);
    case kLoaderWritePointer: return parse_write_pointer(e, s);
    default:
        if (!all_zero(e)) ++s.unknown;
        return {};
    }
}

Result<void> add_pointer(const LoaderCommand& c, const Blob& dest, const Blob& source) {
    if (!is_pointer_size(c.size)) return Fail(Error::kInvalidArgument);
    if (uint64_t{c.offset} + c.size > dest.bytes.size()) return Fail(Error::kOutOfRange);
    uint64_t value = 0;
    for (size_t i = 0; i < c.size; ++i) value |= uint64_t{dest.bytes[c.offset + i]} << (8 * i);
    // QEMU stores an offset inside the source there (and asserts it is one).
    if (value >= source.bytes.size()) return Fail(Error::kOutOfRange);
    value += source.address;  // no wrap: apply checked source.address + its size
    if (c.size < 8 && (value >> (8 * c.size)) != 0) return Fail(Error::kOverflow);
    for (size_t i = 0; i < c.size; ++i) dest.bytes[c.offset + i] = static_cast<uint8_t>(value >> (8 * i));
    return {};
}

Result<void> add_checksum(const LoaderCommand& c, const Blob& blob) {
    const uint64_t end = uint64_t{c.start} + c.length;
    if (end > blob.bytes.size() || c.offset < c.start || c.offset >= end) return Fail(Error::kOutOfRange);
    uint8_t sum = 0;
    for (uint64_t i = c.start; i < end; ++i) sum = static_cast<uint8_t>(sum + blob.bytes[i]);
    blob.bytes[c.offset] = static_cast<uint8_t>(blob.bytes[c.offset] - sum);
    return {};
}

const Blob* find_blob(std::span<const Blob> blobs, std::string_view name) {
    for (const Blob& b : blobs) {
        if (view(b.name) == name) return &b;
    }
    return nullptr;
}

}  // namespace

std::string_view LoaderFile::name_view() const { return view(name); }

Result<size_t> TableLoaderScript::find(std::string_view name) const {
    for (size_t i = 0; i < file_count; ++i) {
        if (file_table[i].name_view() == name) return i;
    }
    return Fail(Error::kNotFound);
}

Result<size_t> TableLoaderScript::rsdp_file() const {
    for (size_t i = 0; i < file_count; ++i) {
        if (file_table[i].zone == LoaderZone::kFseg) return i;
    }
    return Fail(Error::kNotFound);
}

Result<TableLoaderScript> parse_table_loader(std::span<const uint8_t> script) {
    if (script.size() % kLoaderEntrySize != 0) return Fail(Error::kTruncated);
    TableLoaderScript s;
    for (size_t at = 0; at < script.size(); at += kLoaderEntrySize) {
        WARDEN_TRY_VOID(parse_entry(script.subspan(at, kLoaderEntrySize), s));
    }
    return s;
}

Result<void> apply(const TableLoaderScript& script, std::span<const Blob> blobs) {
    if (script.file_count > TableLoaderScript::kMaxFiles) return Fail(Error::kInvalidArgument);
    if (script.command_count > TableLoaderScript::kMaxCommands) return Fail(Error::kInvalidArgument);
    std::array<const Blob*, TableLoaderScript::kMaxFiles> blob_of{};
    for (size_t i = 0; i < script.file_count; ++i) {
        const LoaderFile& f = script.file_table[i];
        const Blob* b = find_blob(blobs, f.name_view());
        if (b == nullptr) return Fail(Error::kNotFound);
        if (!is_power_of_two(f.alignment)) return Fail(Error::kInvalidArgument);
        if (b->address % f.alignment != 0) return Fail(Error::kMisaligned);
        if (!checked_end(b->address, b->bytes.size())) return Fail(Error::kOverflow);
        blob_of[i] = b;
    }
    for (const LoaderCommand& c : script.commands()) {
        // Indices come from parse_table_loader; a hand-made script is checked too.
        if (c.file >= script.file_count || c.source >= script.file_count) return Fail(Error::kInvalidArgument);
        if (c.op == LoaderOp::kAddPointer) {
            WARDEN_TRY_VOID(add_pointer(c, *blob_of[c.file], *blob_of[c.source]));
        } else {
            WARDEN_TRY_VOID(add_checksum(c, *blob_of[c.file]));
        }
    }
    return {};
}

}  // namespace warden::acpi
