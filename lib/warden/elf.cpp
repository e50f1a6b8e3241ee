// ELF64 executable parsing and validation.
#include "warden/elf.hpp"

#include "warden/addr.hpp"
#include "warden/bytes.hpp"
#include "warden/checked.hpp"

namespace warden::elf {
namespace {

constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr uint8_t kClass64 = 2, kDataLittle = 1, kVersionCurrent = 1;
constexpr char kNoteOwner[] = "Warden";

// Finds the "Warden" note inside a PT_NOTE segment's bytes.
std::span<const uint8_t> find_manifest(std::span<const uint8_t> notes) {
    size_t at = 0;
    // `at` may step past the end (a last note padded beyond it): check before subtracting.
    while (at <= notes.size() && notes.size() - at >= 12) {
        const uint32_t namesz = load_le<uint32_t>(notes, at);
        const uint32_t descsz = load_le<uint32_t>(notes, at + 4);
        const size_t name_at = at + 12;
        const size_t desc_at = name_at + align_up(namesz, 4);
        if (namesz > notes.size() || descsz > notes.size() || desc_at + descsz > notes.size()) return {};
        if (namesz == sizeof kNoteOwner) {
            bool match = true;
            for (size_t i = 0; i < sizeof kNoteOwner; ++i)
                match = match && notes[name_at + i] == static_cast<uint8_t>(kNoteOwner[i]);
            if (match) return notes.subspan(desc_at, descsz);
        }
        at = desc_at + align_up(descsz, 4);
    }
    return {};
}

}  // namespace

Result<Image> parse(std::span<const uint8_t> f, uint64_t va_low, uint64_t va_high) {
    if (f.size() < kHeaderSize) return Fail(Error::kTruncated);
    for (size_t i = 0; i < 4; ++i) {
        if (f[i] != kMagic[i]) return Fail(Error::kBadMagic);
    }
    if (f[4] != kClass64 || f[5] != kDataLittle || f[6] != kVersionCurrent) return Fail(Error::kUnsupported);
    if (load_le<uint16_t>(f, 16) != kTypeExec || load_le<uint16_t>(f, 18) != kMachineX86_64) {
        return Fail(Error::kUnsupported);
    }
    Image image;
    image.entry = load_le<uint64_t>(f, 24);
    const uint64_t phoff = load_le<uint64_t>(f, 32);
    const uint16_t ehsize = load_le<uint16_t>(f, 52);
    const uint16_t phentsize = load_le<uint16_t>(f, 54);
    const uint16_t phnum = load_le<uint16_t>(f, 56);
    if (ehsize != kHeaderSize || phentsize != kPhdrSize) return Fail(Error::kInvalidArgument);
    if (phnum > kMaxProgramHeaders) return Fail(Error::kOutOfRange);
    auto ph_end = checked_end(phoff, uint64_t{phnum} * kPhdrSize);
    if (!ph_end || *ph_end > f.size()) return Fail(Error::kTruncated);

    for (uint16_t i = 0; i < phnum; ++i) {
        const size_t at = static_cast<size_t>(phoff) + size_t{i} * kPhdrSize;
        const uint32_t type = load_le<uint32_t>(f, at);
        const uint32_t flags = load_le<uint32_t>(f, at + 4);
        Segment s;
        s.offset = load_le<uint64_t>(f, at + 8);
        s.vaddr = load_le<uint64_t>(f, at + 16);
        s.filesz = load_le<uint64_t>(f, at + 32);
        s.memsz = load_le<uint64_t>(f, at + 40);
        auto file_end = checked_end(s.offset, s.filesz);
        if (!file_end) return Fail(Error::kOverflow);
        if (*file_end > f.size()) return Fail(Error::kTruncated);
        if (type == kPtNote && image.manifest.empty()) {
            image.manifest = find_manifest(f.subspan(static_cast<size_t>(s.offset), static_cast<size_t>(s.filesz)));
        }
        if (type != kPtLoad || s.memsz == 0) continue;
        if (s.filesz > s.memsz) return Fail(Error::kInvalidArgument);
        auto mem_end = checked_end(s.vaddr, s.memsz);
        if (!mem_end) return Fail(Error::kOverflow);
        if (s.vaddr < va_low || *mem_end > va_high) return Fail(Error::kOutOfRange);
        if (s.vaddr % kPageSize != s.offset % kPageSize) return Fail(Error::kMisaligned);
        s.writable = flags & kPfW;
        s.executable = flags & kPfX;
        if (s.writable && s.executable) return Fail(Error::kWriteExecute);
        if (image.count == kMaxSegments) return Fail(Error::kOutOfRange);
        // Segments own whole pages once mapped: they may not share one.
        const uint64_t lo = align_down(s.vaddr, kPageSize), hi = align_up(*mem_end, kPageSize);
        for (size_t j = 0; j < image.count; ++j) {
            const Segment& o = image.segments[j];
            const uint64_t olo = align_down(o.vaddr, kPageSize), ohi = align_up(o.vaddr + o.memsz, kPageSize);
            if (lo < ohi && olo < hi) return Fail(Error::kOverlap);
        }
        image.segments[image.count++] = s;
    }
    if (image.count == 0) return Fail(Error::kNotFound);
    // Where the program headers are in the task (AT_PHDR): a loaded
    // segment whose file bytes hold them.
    image.phnum = phnum;
    for (size_t j = 0; j < image.count; ++j) {
        const Segment& s = image.segments[j];
        if (phoff >= s.offset && *ph_end <= s.offset + s.filesz) image.phdr = s.vaddr + (phoff - s.offset);
    }
    for (size_t j = 0; j < image.count; ++j) {
        const Segment& s = image.segments[j];
        if (s.executable && image.entry >= s.vaddr && image.entry - s.vaddr < s.memsz) return image;
    }
    return Fail(Error::kInvalidArgument);  // entry outside every executable segment
}

}  // namespace warden::elf
