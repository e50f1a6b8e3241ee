// An intrusive doubly linked list: objects carry their own ListNode, so adding
// to a run queue or a free list never allocates. Unlinked nodes point to
// themselves, which makes "is it on a list?" a constant-time question.
#pragma once

#include <cstddef>

namespace warden {

struct ListNode {
    ListNode* prev = this;
    ListNode* next = this;

    ListNode() = default;
    ListNode(const ListNode&) = delete;
    ListNode& operator=(const ListNode&) = delete;

    bool linked() const { return next != this; }
    void unlink() {
        prev->next = next;
        next->prev = prev;
        prev = next = this;
    }
};

// Member is the pointer to the ListNode inside T: IntrusiveList<Task, &Task::node>.
template <typename T, ListNode T::*Member>
class IntrusiveList {
public:
    IntrusiveList() = default;
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;

    bool empty() const { return !head_.linked(); }
    size_t size() const {
        size_t n = 0;
        for (const ListNode* p = head_.next; p != &head_; p = p->next) ++n;
        return n;
    }

    // A node already on a list must be removed first; pushing it again would
    // corrupt both lists, so it is refused.
    bool push_back(T& item) { return insert_before(head_, node(item)); }
    bool push_front(T& item) { return insert_before(*head_.next, node(item)); }

    T* front() { return empty() ? nullptr : owner(head_.next); }
    T* back() { return empty() ? nullptr : owner(head_.prev); }
    T* pop_front() {
        T* item = front();
        if (item) node(*item).unlink();
        return item;
    }
    static void remove(T& item) { node(item).unlink(); }

    class Iterator {
    public:
        explicit Iterator(ListNode* p) : p_(p) {}
        T& operator*() const { return *owner(p_); }
        T* operator->() const { return owner(p_); }
        Iterator& operator++() {
            p_ = p_->next;
            return *this;
        }
        bool operator==(const Iterator& o) const { return p_ == o.p_; }

    private:
        ListNode* p_;
    };
    Iterator begin() { return Iterator(head_.next); }
    Iterator end() { return Iterator(&head_); }

private:
    static ListNode& node(T& item) { return item.*Member; }
    static T* owner(ListNode* n) {
        // Recover the T from its member node, as container_of does. The probe
        // is never read; the compiler folds the subtraction to a constant.
        alignas(T) unsigned char probe[sizeof(T)];
        auto* t = reinterpret_cast<T*>(probe);
        const auto offset = reinterpret_cast<char*>(&(t->*Member)) - reinterpret_cast<char*>(t);
        return reinterpret_cast<T*>(reinterpret_cast<char*>(n) - offset);
    }
    static bool insert_before(ListNode& pos, ListNode& n) {
        if (n.linked()) return false;
        n.prev = pos.prev;
        n.next = &pos;
        pos.prev->next = &n;
        pos.prev = &n;
        return true;
    }

    ListNode head_;
};

}  // namespace warden
