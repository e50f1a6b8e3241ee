// QEMU's ACPI linker/loader script (fw_cfg file "etc/table-loader", format in
// QEMU hw/acpi/bios-linker-loader.c): which fw_cfg files to load, and how to
// patch pointers and checksums once they sit at their guest addresses. The
// script comes from the host: parse_table_loader checks all of it first.
#pragma once

#include <array>
#include <span>
#include <string_view>

#include "warden/fw_cfg.hpp"
#include "warden/result.hpp"

namespace warden::acpi {

inline constexpr std::string_view kTableLoaderFile = "etc/table-loader";
inline constexpr std::string_view kRsdpFile = "etc/acpi/rsdp";  // ACPI_BUILD_RSDP_FILE

// struct BiosLinkerLoaderEntry: a u32 command, then a union padded to 124
// bytes; names are BIOS_LINKER_LOADER_FILESZ = FW_CFG_MAX_FILE_PATH bytes.
inline constexpr size_t kLoaderEntrySize = 128;
inline constexpr size_t kLoaderNameSize = fw_cfg::kFileNameSize;
inline constexpr uint32_t kLoaderAllocate = 1;      // BIOS_LINKER_LOADER_COMMAND_ALLOCATE
inline constexpr uint32_t kLoaderAddPointer = 2;    // ..._ADD_POINTER
inline constexpr uint32_t kLoaderAddChecksum = 3;   // ..._ADD_CHECKSUM
inline constexpr uint32_t kLoaderWritePointer = 4;  // ..._WRITE_POINTER
// Alignments above a page are refused (EDK2's OVMF refuses them too), so the
// kernel can give every file whole pages.
inline constexpr uint32_t kLoaderMaxAlignment = 4096;

using LoaderName = std::array<char, kLoaderNameSize>;

// BIOS_LINKER_LOADER_ALLOC_ZONE_*. QEMU puts only the RSDP in FSEG (hw/acpi/
// aml-build.c build_rsdp); without SeaBIOS the zone says nothing about where
// the kernel must place a file.
enum class LoaderZone : uint8_t { kHigh = 1, kFseg = 2 };

// One ALLOCATE command: a fw_cfg file to load.
struct LoaderFile {
    LoaderName name{};       // NUL-terminated, not empty
    uint32_t alignment = 1;  // a power of two <= kLoaderMaxAlignment (0 in the script reads as 1)
    LoaderZone zone = LoaderZone::kHigh;
    std::string_view name_view() const;
};

enum class LoaderOp : uint8_t { kAddPointer, kAddChecksum };

// An ADD_POINTER or ADD_CHECKSUM command, its files as indices into the files.
struct LoaderCommand {
    LoaderOp op = LoaderOp::kAddPointer;
    uint8_t file = 0;     // the file patched
    uint8_t source = 0;   // ADD_POINTER: the file pointed into
    uint8_t size = 0;     // ADD_POINTER: pointer width, 1, 2, 4 or 8
    uint32_t offset = 0;  // where the pointer or the checksum byte sits in `file`
    uint32_t start = 0;   // ADD_CHECKSUM: the bytes summed, [start, start + length);
    uint32_t length = 0;  //   offset lies inside them
};

struct TableLoaderScript {
    // QEMU 7.2's pc machine allocates 2 files and sends 14 commands.
    static constexpr size_t kMaxFiles = 16;
    static constexpr size_t kMaxCommands = 128;

    std::array<LoaderFile, kMaxFiles> file_table{};
    size_t file_count = 0;
    std::array<LoaderCommand, kMaxCommands> command_table{};
    size_t command_count = 0;
    // Checked but not run: WRITE_POINTER writes a blob's guest address back
    // into a writable fw_cfg file over DMA, so QEMU can update the blob later.
    // Only optional devices send it (vmgenid: etc/vmgenid_addr; the arm GHES
    // error log); skipped, the tables stay consistent, and a vmgenid GUID just
    // never changes (QEMU docs/specs/vmgenid.rst).
    size_t write_pointers = 0;
    // Commands of other numbers are skipped, as SeaBIOS and OVMF skip them.
    // All-zero entries (QEMU pads the file to 4 KiB with them) are not counted.
    size_t unknown = 0;

    std::span<const LoaderFile> files() const { return {file_table.data(), file_count}; }
    std::span<const LoaderCommand> commands() const { return {command_table.data(), command_count}; }
    // Index of a file by name, or kNotFound.
    Result<size_t> find(std::string_view name) const;
    // Index of the file allocated in the FSEG zone (the first one, should
    // there be several): it holds the RSDP. kNotFound if none is.
    Result<size_t> rsdp_file() const;
};

// Checks the whole script before anything uses it.
// Errors: kTruncated when the size is not a multiple of kLoaderEntrySize;
// kInvalidArgument for a name without its NUL or an empty one, a file
// allocated twice, an alignment that is not a power of two, a zone other than
// high or FSEG, a pointer size other than 1, 2, 4 or 8; kUnsupported for an
// alignment above kLoaderMaxAlignment; kNotFound for a command naming a file
// no earlier ALLOCATE loaded; kOutOfRange for a checksum byte outside its
// range and for more than kMaxFiles files or kMaxCommands commands.
// TableLoaderScript is ~3 KiB (as big as a Madt): kernel callers keep it off
// small stacks.
Result<TableLoaderScript> parse_table_loader(std::span<const uint8_t> script);

// A file the caller loaded: its bytes, already at guest-physical `address`.
struct Blob {
    LoaderName name{};
    std::span<uint8_t> bytes;
    uint64_t address = 0;
};

// Runs the script's commands, in order, on the blobs (matched by name; extra
// blobs are ignored). ADD_POINTER adds the source blob's address to the
// little-endian pointer at offset in the destination; the pointer holds an
// offset into the source (bios_linker_loader_add_pointer writes it there).
// ADD_CHECKSUM subtracts the sum of the range from the checksum byte, leaving
// the range summing to 0 mod 256. Everything is bounds-checked: kNotFound for
// a file without a blob, kMisaligned for a blob address off its alignment,
// kOverflow for a blob wrapping past 2^64 or a patched pointer too wide for
// its size, kOutOfRange for a pointer or range past its blob's end or a
// pointer value not inside its source. The blobs are checked before any
// command runs, but a failing command leaves earlier patches in place: on
// error, discard the blobs.
Result<void> apply(const TableLoaderScript& script, std::span<const Blob> blobs);

}  // namespace warden::acpi
