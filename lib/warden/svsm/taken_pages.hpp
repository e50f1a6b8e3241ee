// The guest pages the SVSM has taken out of the guest's hands (DESIGN 8):
// VMSA pages, each taken while CREATE_VCPU checks it and kept while its vCPU
// lives. Pure bookkeeping: the kernel keeps one table under its lock, and the
// host fakes that stand in for the kernel keep the same one, so a single piece
// of code says which pages no access on the guest's behalf may touch.
#pragma once

#include <array>
#include <cstddef>

#include "warden/addr.hpp"
#include "warden/result.hpp"

namespace warden::svsm {

template <size_t N>
class TakenPages {
public:
    // Whether any taken page lies in r. A range that wraps past 2^64 counts
    // as touching one: it is never a guest range, and refusing is the safe answer.
    bool any_in(PhysRange r) const {
        if (r.base + r.size < r.base) return true;
        for (const Entry& e : entries_) {
            if (e.used && r.overlaps(PhysRange{e.page, kPageSize})) return true;
        }
        return false;
    }
    bool is_taken(PhysAddr page) const { return find(page) != nullptr; }
    bool is_live(PhysAddr page) const {
        const Entry* e = find(page);
        return e != nullptr && e->live;
    }
    size_t count() const {
        size_t n = 0;
        for (const Entry& e : entries_) n += e.used ? 1 : 0;
        return n;
    }

    // CREATE_VCPU takes the page before it reads it. kMisaligned unless page
    // aligned, kAlreadyMapped when already taken, kBusy when the table is full.
    Result<void> take(PhysAddr page) {
        if (!page.is_aligned(kPageSize)) return Fail(Error::kMisaligned);
        if (find(page)) return Fail(Error::kAlreadyMapped);
        for (Entry& e : entries_) {
            if (!e.used) {
                e = Entry{page, true, false};
                return {};
            }
        }
        return Fail(Error::kBusy);
    }
    // The page is the guest's again (its checks failed, or its vCPU ended).
    // kNotMapped when not taken; kBusy while it is a live vCPU's VMSA.
    Result<void> give_back(PhysAddr page) {
        Entry* e = find(page);
        if (!e) return Fail(Error::kNotMapped);
        if (e->live) return Fail(Error::kBusy);
        *e = Entry{};
        return {};
    }
    // The checked page becomes a live vCPU's VMSA. kDenied unless it was
    // taken before the check (checked while the guest could still write it);
    // kAlreadyMapped when it already is a vCPU's.
    Result<void> make_live(PhysAddr vmsa) {
        Entry* e = find(vmsa);
        if (!e) return Fail(Error::kDenied);
        if (e->live) return Fail(Error::kAlreadyMapped);
        e->live = true;
        return {};
    }
    // DELETE_VCPU: the vCPU is gone, its page stays taken until given back.
    // kNotFound unless vmsa is a live vCPU's VMSA.
    Result<void> end_live(PhysAddr vmsa) {
        Entry* e = find(vmsa);
        if (!e || !e->live) return Fail(Error::kNotFound);
        e->live = false;
        return {};
    }

private:
    struct Entry {
        PhysAddr page;
        bool used = false, live = false;
    };
    template <typename Self>
    static auto* find_in(Self& self, PhysAddr page) {
        decltype(&self.entries_[0]) found = nullptr;
        for (auto& e : self.entries_) {
            if (e.used && e.page == page) found = &e;
        }
        return found;
    }
    const Entry* find(PhysAddr page) const { return find_in(*this, page); }
    Entry* find(PhysAddr page) { return find_in(*this, page); }

    std::array<Entry, N> entries_{};
};

}  // namespace warden::svsm
