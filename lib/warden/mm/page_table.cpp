// Page-table walks for map, unmap, protect and translate.
#include "warden/mm/page_table.hpp"

namespace warden::mm {

namespace {

constexpr unsigned level_of(PageSize s) { return s == PageSize::k4K ? 1 : s == PageSize::k2M ? 2 : 3; }

// va..va+bytes-1 is canonical and does not cross the non-canonical hole.
bool valid_range(VirtAddr va, uint64_t bytes) {
    const uint64_t last = va.raw() + bytes - 1;
    if (last < va.raw()) return false;
    return is_canonical(va) && is_canonical(VirtAddr(last)) && (va.raw() >> 47) == (last >> 47);
}

bool table_empty(const uint64_t* t) {
    for (unsigned i = 0; i < 512; ++i) {
        if (t[i] != 0) return false;
    }
    return true;
}

}  // namespace

uint64_t Mapper::leaf_bits(MapFlags f, unsigned level) const {
    uint64_t e = pte::kPresent;
    if (f.writable) e |= pte::kWritable;
    if (f.user) e |= pte::kUser;
    if (f.global) e |= pte::kGlobal;
    if (f.uncached) e |= pte::kCacheDisable | pte::kWriteThrough;
    if (!f.executable) e |= pte::kNoExecute;
    if (f.encrypted) e |= c_bit_;
    if (f.owned) e |= pte::kOwned;
    if (level > 1) e |= pte::kHuge;
    return e;
}

MapFlags Mapper::flags_of(uint64_t e, uint64_t c_bit) {
    MapFlags f;
    f.writable = e & pte::kWritable;
    f.user = e & pte::kUser;
    f.executable = !(e & pte::kNoExecute);
    f.global = e & pte::kGlobal;
    f.uncached = e & pte::kCacheDisable;
    f.encrypted = c_bit == 0 || (e & c_bit);
    f.owned = e & pte::kOwned;
    return f;
}

Result<uint64_t*> Mapper::leaf_slot(VirtAddr va) {
    if (!is_canonical(va)) return Fail(Error::kInvalidArgument);
    PhysAddr table = root_;
    for (unsigned level = 4; level > 1; --level) {
        const uint64_t e = memory_.table(table)[index(va, level)];
        if (!(e & pte::kPresent)) return Fail(Error::kNotMapped);
        if (e & pte::kHuge) return Fail(Error::kInvalidArgument);
        table = entry_addr(e);
    }
    return &memory_.table(table)[index(va, 1)];
}

Result<Translation> Mapper::translate(VirtAddr va) const {
    if (!is_canonical(va)) return Fail(Error::kInvalidArgument);
    PhysAddr table = root_;
    bool writable = true, user = true, executable = true;
    for (unsigned level = 4; level >= 1; --level) {
        const uint64_t e = memory_.table(table)[index(va, level)];
        if (!(e & pte::kPresent)) return Fail(Error::kNotMapped);
        writable = writable && (e & pte::kWritable);
        user = user && (e & pte::kUser);
        executable = executable && !(e & pte::kNoExecute);
        if (is_leaf(e, level)) {
            Translation t;
            t.size = level == 1 ? PageSize::k4K : level == 2 ? PageSize::k2M : PageSize::k1G;
            t.phys = entry_addr(e) + (va.raw() & (level_bytes(level) - 1));
            t.flags = flags_of(e, c_bit_);
            t.flags.writable = writable;
            t.flags.user = user;
            t.flags.executable = executable;
            return t;
        }
        table = entry_addr(e);
    }
    return Fail(Error::kNotMapped);  // unreachable: level 1 is always a leaf
}

bool Mapper::range_is(VirtAddr va, uint64_t bytes, bool mapped) const {
    return range_is_in(root_, 4, va.raw(), va.raw() + bytes - 1, mapped);
}

// True when every page of [start, last] is mapped (or none is, for !mapped).
bool Mapper::range_is_in(PhysAddr table, unsigned level, uint64_t start, uint64_t last, bool mapped) const {
    const uint64_t* entries = memory_.table(table);
    for (uint64_t va = start;;) {
        const uint64_t cover_last = va | (level_bytes(level) - 1);
        const uint64_t seg_last = cover_last < last ? cover_last : last;
        const uint64_t e = entries[index(VirtAddr(va), level)];
        if (!(e & pte::kPresent)) {
            if (mapped) return false;
        } else if (is_leaf(e, level)) {
            if (!mapped) return false;
        } else if (!range_is_in(entry_addr(e), level - 1, va, seg_last, mapped)) {
            return false;
        }
        if (seg_last == last) return true;
        va = seg_last + 1;
    }
}

void Mapper::free_subtree(PhysAddr table, unsigned level) {
    uint64_t* entries = memory_.table(table);
    for (unsigned i = 0; i < 512 && level > 1; ++i) {
        if ((entries[i] & pte::kPresent) && !is_leaf(entries[i], level))
            free_subtree(entry_addr(entries[i]), level - 1);
    }
    memory_.free_table(table);
}

Result<void> Mapper::map_one(VirtAddr va, PhysAddr pa, unsigned target, MapFlags flags) {
    PhysAddr table = root_;
    for (unsigned level = 4; level > target; --level) {
        uint64_t& e = memory_.table(table)[index(va, level)];
        if (!(e & pte::kPresent)) {
            auto frame = memory_.alloc_table();
            if (!frame) return Fail(frame.error());
            // Intermediate entries allow everything the leaves may ask for;
            // US only where a user page lives below (kernel tables stay
            // supervisor-only even if a leaf is wrong).
            e = frame->raw() | c_bit_ | pte::kPresent | pte::kWritable | (flags.user ? pte::kUser : 0);
        } else if (is_leaf(e, level)) {
            return Fail(Error::kAlreadyMapped);
        } else if (flags.user) {
            e |= pte::kUser;
        }
        table = entry_addr(e);
    }
    uint64_t& leaf = memory_.table(table)[index(va, target)];
    if (leaf & pte::kPresent) {
        if (is_leaf(leaf, target)) return Fail(Error::kAlreadyMapped);
        free_subtree(entry_addr(leaf), target - 1);  // an empty table left in the way
    }
    leaf = pa.raw() | leaf_bits(flags, target);
    return {};
}

Result<void> Mapper::map(VirtAddr va, PhysAddr pa, uint64_t bytes, MapFlags flags, PageSize size) {
    if (bytes == 0) return {};
    const uint64_t step = page_bytes(size);
    if (!va.is_aligned(step) || !pa.is_aligned(step) || !is_aligned(bytes, step)) return Fail(Error::kMisaligned);
    if (!valid_range(va, bytes) || (pa.raw() & ~pte::kAddressMask) != 0 || (pa.raw() & c_bit_) != 0) {
        return Fail(Error::kInvalidArgument);
    }
    if (!range_is(va, bytes, false)) return Fail(Error::kAlreadyMapped);
    for (uint64_t done = 0; done < bytes; done += step) {
        auto r = map_one(va + done, pa + done, level_of(size), flags);
        if (!r) {
            if (done != 0) (void)unmap(va, done);  // undo: the caller sees the tables as they were
            return r;
        }
    }
    return {};
}

Result<void> Mapper::map_best(VirtAddr va, PhysAddr pa, uint64_t bytes, MapFlags flags, bool allow_1g) {
    if (bytes == 0) return {};
    if (!va.is_aligned(kPageSize) || !pa.is_aligned(kPageSize) || !is_aligned(bytes, kPageSize)) {
        return Fail(Error::kMisaligned);
    }
    if (!valid_range(va, bytes)) return Fail(Error::kInvalidArgument);
    if (!range_is(va, bytes, false)) return Fail(Error::kAlreadyMapped);
    uint64_t done = 0;
    while (done < bytes) {
        PageSize size = PageSize::k4K;
        for (PageSize s : {PageSize::k1G, PageSize::k2M}) {
            if (s == PageSize::k1G && !allow_1g) continue;
            const uint64_t n = page_bytes(s);
            if ((va + done).is_aligned(n) && (pa + done).is_aligned(n) && bytes - done >= n) {
                size = s;
                break;
            }
        }
        auto r = map(va + done, pa + done, page_bytes(size), flags, size);
        if (!r) {
            if (done != 0) (void)unmap(va, done);
            return r;
        }
        done += page_bytes(size);
    }
    return {};
}

// Replaces a huge leaf with a table of the next level down mapping the same
// memory with the same rights.
Result<void> Mapper::split(uint64_t& entry, unsigned level) {
    auto frame = memory_.alloc_table();
    if (!frame) return Fail(frame.error());
    const PhysAddr base = entry_addr(entry);
    uint64_t bits = (entry & ~pte::kAddressMask) | (entry & c_bit_);
    if (level - 1 == 1) bits &= ~pte::kHuge;  // bit 7 of a PTE is PAT, not PS
    uint64_t* child = memory_.table(*frame);
    const uint64_t child_bytes = level_bytes(level - 1);
    for (unsigned i = 0; i < 512; ++i) child[i] = (base + i * child_bytes).raw() | bits;
    entry = frame->raw() | c_bit_ | pte::kPresent | pte::kWritable | (entry & pte::kUser);
    return {};
}

Result<uint64_t> Mapper::change_leaf(PhysAddr table, unsigned level, VirtAddr va, uint64_t last, Op op,
                                     MapFlags flags) {
    uint64_t& e = memory_.table(table)[index(va, level)];
    if (!(e & pte::kPresent)) return Fail(Error::kNotMapped);
    if (is_leaf(e, level)) {
        const uint64_t page = align_down(va.raw(), level_bytes(level));
        if (page == va.raw() && page + level_bytes(level) - 1 <= last) {
            if (op == Op::kUnmap)
                e = 0;
            else
                e = entry_addr(e).raw() | leaf_bits(flags, level);
            invalidate(va);
            return level_bytes(level);
        }
        WARDEN_TRY_VOID(split(e, level));
        invalidate(VirtAddr(page));
    } else if (op == Op::kProtect && flags.user) {
        e |= pte::kUser;
    }
    const PhysAddr child = entry_addr(e);
    auto done = change_leaf(child, level - 1, va, last, op, flags);
    if (done && op == Op::kUnmap && table_empty(memory_.table(child))) {
        e = 0;
        memory_.free_table(child);
        invalidate(va);
    }
    return done;
}

Result<void> Mapper::change_range(VirtAddr va, uint64_t bytes, Op op, MapFlags flags) {
    if (bytes == 0) return {};
    if (!va.is_aligned(kPageSize) || !is_aligned(bytes, kPageSize)) return Fail(Error::kMisaligned);
    if (!valid_range(va, bytes)) return Fail(Error::kInvalidArgument);
    if (!range_is(va, bytes, true)) return Fail(Error::kNotMapped);
    const uint64_t last = va.raw() + bytes - 1;
    for (uint64_t cur = va.raw(); cur - va.raw() < bytes;) {
        WARDEN_TRY(n, change_leaf(root_, 4, VirtAddr(cur), last, op, flags));
        cur += n;
    }
    return {};
}

Result<void> Mapper::unmap(VirtAddr va, uint64_t bytes) { return change_range(va, bytes, Op::kUnmap, {}); }

Result<void> Mapper::protect(VirtAddr va, uint64_t bytes, MapFlags flags) {
    return change_range(va, bytes, Op::kProtect, flags);
}

}  // namespace warden::mm
