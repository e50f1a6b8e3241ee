// x86-64 4-level page tables: map, unmap, protect and translate at 4 KiB,
// 2 MiB and 1 GiB, splitting huge pages when part of one changes and freeing
// tables that become empty. Physical memory is reached through TableMemory,
// so the kernel uses its direct map and host tests a simulated memory.
#pragma once

#include "warden/addr.hpp"
#include "warden/bits.hpp"
#include "warden/result.hpp"

namespace warden::mm {

// Entry bits, SDM Vol. 3A section 4.5 (tables 4-15, 4-17, 4-19).
namespace pte {
inline constexpr uint64_t kPresent = bit(0);
inline constexpr uint64_t kWritable = bit(1);
inline constexpr uint64_t kUser = bit(2);
inline constexpr uint64_t kWriteThrough = bit(3);
inline constexpr uint64_t kCacheDisable = bit(4);
inline constexpr uint64_t kAccessed = bit(5);
inline constexpr uint64_t kDirty = bit(6);
inline constexpr uint64_t kHuge = bit(7);  // PS in a PDPTE/PDE; PAT in a PTE (never set here)
inline constexpr uint64_t kGlobal = bit(8);
inline constexpr uint64_t kNoExecute = bit(63);
// Bit 9 is ignored by the CPU in every entry (SDM Vol. 3A tables 4-14..4-20;
// AMD APM Vol. 2 section 5.4.1, "AVL"): Warden marks with it a leaf whose
// frame belongs to the address space (MapFlags::owned).
inline constexpr uint64_t kOwned = bit(9);
inline constexpr uint64_t kAddressMask = bit_mask(12, 40);  // bits 51:12
}  // namespace pte

enum class PageSize : uint8_t { k4K, k2M, k1G };

constexpr uint64_t page_bytes(PageSize s) {
    return s == PageSize::k4K ? kPageSize : s == PageSize::k2M ? kLargePageSize : kHugePageSize;
}
constexpr const char* page_size_name(PageSize s) {
    return s == PageSize::k4K ? "4K" : s == PageSize::k2M ? "2M" : "1G";
}

struct MapFlags {
    bool writable = false;
    bool executable = false;
    bool user = false;
    bool global = false;
    bool uncached = false;
    bool encrypted = true;  // C-bit set, where the platform has one
    // The frame is the address space's own (a 4 KiB order-0 block), returned
    // when it is released; unmarked leaves only borrow what they map.
    bool owned = false;
    constexpr bool operator==(const MapFlags&) const = default;
};

struct Translation {
    PhysAddr phys;  // of the address translated (page base + offset)
    PageSize size = PageSize::k4K;
    MapFlags flags;  // effective: writable/user only if every level allows it
};

// Physical memory as the mapper needs it.
class TableMemory {
public:
    virtual uint64_t* table(PhysAddr frame) = 0;  // the 512 entries of a table frame
    virtual Result<PhysAddr> alloc_table() = 0;   // a zeroed frame
    virtual void free_table(PhysAddr frame) = 0;

protected:
    ~TableMemory() = default;
};

// Told about every virtual page whose translation changed or went away
// (invlpg locally; the kernel adds the cross-CPU shootdown).
class TlbSink {
public:
    virtual void invalidate(VirtAddr page) = 0;

protected:
    ~TlbSink() = default;
};

class Mapper {
public:
    // c_bit: the encryption mask (CPUID 0x8000001F on SNP; 0 on native).
    Mapper(PhysAddr root, TableMemory& memory, TlbSink* tlb = nullptr, uint64_t c_bit = 0)
        : root_(root), memory_(memory), tlb_(tlb), c_bit_(c_bit) {}

    // Maps [va, va + bytes) to [pa, ...) with pages of `size`. va, pa and bytes
    // must be aligned to size (kMisaligned), va canonical (kInvalidArgument),
    // and nothing in the range mapped yet (kAlreadyMapped). A failure leaves
    // the tables as they were.
    Result<void> map(VirtAddr va, PhysAddr pa, uint64_t bytes, MapFlags flags, PageSize size = PageSize::k4K);
    // Like map, with the largest pages alignment allows (1 GiB only if
    // allow_1g: not every CPU model has them).
    Result<void> map_best(VirtAddr va, PhysAddr pa, uint64_t bytes, MapFlags flags, bool allow_1g);
    // Every page of the range must be mapped (kNotMapped otherwise, nothing
    // changed). Huge pages that stick out of the range are split first.
    Result<void> unmap(VirtAddr va, uint64_t bytes);
    Result<void> protect(VirtAddr va, uint64_t bytes, MapFlags flags);
    Result<Translation> translate(VirtAddr va) const;

    // For a per-CPU window whose tables stay in place: the 4 KiB leaf entry
    // of a mapped va (kNotMapped if a level is missing, kInvalidArgument if a
    // huge page covers it), and the entry value that maps pa with flags. The
    // caller writes the slot and invalidates the TLB itself.
    Result<uint64_t*> leaf_slot(VirtAddr va);
    uint64_t leaf_entry(PhysAddr pa, MapFlags flags) const { return pa.raw() | leaf_bits(flags, 1); }

    // Calls f(VirtAddr page, const Translation&) for every leaf, in address order.
    template <typename F>
    void for_each_leaf(F&& f) const {
        walk_leaves(root_, 4, 0, f);
    }

    // Empties root slots [first, last): calls f(VirtAddr page, const
    // Translation&) for every leaf below them, then frees their tables and
    // clears the slots. The root itself stays the caller's. Nothing is
    // invalidated: the address space must be loaded on no CPU.
    template <typename F>
    void release_slots(unsigned first, unsigned last, F&& f) {
        uint64_t* entries = memory_.table(root_);
        for (unsigned i = first; i < last && i < 512; ++i) {
            const uint64_t e = entries[i];
            if (!(e & pte::kPresent)) continue;
            uint64_t va = uint64_t{i} * level_bytes(4);
            if (i >= 256) va |= 0xffff000000000000ull;  // canonical upper half
            walk_leaves(entry_addr(e), 3, va, f);
            free_subtree(entry_addr(e), 3);
            entries[i] = 0;
        }
    }

    PhysAddr root() const { return root_; }
    uint64_t c_bit() const { return c_bit_; }

private:
    static unsigned index(VirtAddr va, unsigned level) { return (va.raw() >> (12 + 9 * (level - 1))) & 511; }
    static uint64_t level_bytes(unsigned level) { return uint64_t{1} << (12 + 9 * (level - 1)); }
    PhysAddr entry_addr(uint64_t e) const { return PhysAddr(e & pte::kAddressMask & ~c_bit_); }
    uint64_t leaf_bits(MapFlags f, unsigned level) const;
    static MapFlags flags_of(uint64_t e, uint64_t c_bit);
    bool is_leaf(uint64_t e, unsigned level) const { return level == 1 || (e & pte::kHuge); }

    bool range_is(VirtAddr va, uint64_t bytes, bool mapped) const;
    bool range_is_in(PhysAddr table, unsigned level, uint64_t start, uint64_t end, bool mapped) const;
    Result<void> map_one(VirtAddr va, PhysAddr pa, unsigned level, MapFlags flags);
    Result<void> split(uint64_t& entry, unsigned level);
    void free_subtree(PhysAddr table, unsigned level);
    // Visits the leaf for va (splitting huge leaves that stick out of
    // [va, end)); op edits the leaf; empty tables are freed on the way back.
    enum class Op { kUnmap, kProtect };
    Result<uint64_t> change_leaf(PhysAddr table, unsigned level, VirtAddr va, uint64_t end, Op op, MapFlags flags);
    // Checks the range (aligned, canonical, wholly mapped), then changes every leaf in it.
    Result<void> change_range(VirtAddr va, uint64_t bytes, Op op, MapFlags flags);
    void invalidate(VirtAddr va) {
        if (tlb_) tlb_->invalidate(va);
    }

    template <typename F>
    void walk_leaves(PhysAddr table, unsigned level, uint64_t base, F& f) const {
        const uint64_t* entries = memory_.table(table);
        for (unsigned i = 0; i < 512; ++i) {
            const uint64_t e = entries[i];
            if (!(e & pte::kPresent)) continue;
            uint64_t va = base + uint64_t{i} * level_bytes(level);
            if (level == 4 && i >= 256) va |= 0xffff000000000000ull;  // canonical upper half
            if (is_leaf(e, level)) {
                const PageSize size = level == 1 ? PageSize::k4K : level == 2 ? PageSize::k2M : PageSize::k1G;
                // Effective rights come from translate(), which ANDs every level.
                auto t = translate(VirtAddr(va));
                if (t) f(VirtAddr(va), Translation{entry_addr(e), size, t->flags});
            } else {
                walk_leaves(entry_addr(e), level - 1, va, f);
            }
        }
    }

    PhysAddr root_;
    TableMemory& memory_;
    TlbSink* tlb_;
    uint64_t c_bit_;
};

}  // namespace warden::mm
