#include <doctest/doctest.h>

#include <vector>

#include "warden/list.hpp"

using namespace warden;

namespace {
struct Item {
    int id;
    ListNode run_node;
    ListNode all_node;
    explicit Item(int i) : id(i) {}
};
using RunList = IntrusiveList<Item, &Item::run_node>;
using AllList = IntrusiveList<Item, &Item::all_node>;

std::vector<int> ids(RunList& l) {
    std::vector<int> out;
    for (Item& i : l) out.push_back(i.id);
    return out;
}
}  // namespace

TEST_CASE("list: push, iterate and pop in order") {
    Item a(1), b(2), c(3);
    RunList l;
    CHECK(l.empty());
    CHECK(l.push_back(a));
    CHECK(l.push_back(b));
    CHECK(l.push_front(c));
    CHECK(ids(l) == std::vector<int>{3, 1, 2});
    CHECK(l.size() == 3);
    CHECK(l.front()->id == 3);
    CHECK(l.back()->id == 2);
    CHECK(l.pop_front()->id == 3);
    CHECK_FALSE(c.run_node.linked());
    CHECK(ids(l) == std::vector<int>{1, 2});
}

TEST_CASE("list: removing from the middle keeps the rest linked") {
    Item a(1), b(2), c(3);
    RunList l;
    (void)l.push_back(a);
    (void)l.push_back(b);
    (void)l.push_back(c);
    RunList::remove(b);
    CHECK(ids(l) == std::vector<int>{1, 3});
    CHECK_FALSE(b.run_node.linked());
    RunList::remove(b);  // removing an unlinked node is harmless
    CHECK(l.size() == 2);
}

TEST_CASE("list: a node already on a list is refused, other nodes are independent") {
    Item a(1);
    RunList run;
    AllList all;
    CHECK(run.push_back(a));
    CHECK_FALSE(run.push_back(a));
    CHECK(run.size() == 1);
    CHECK(all.push_back(a));  // a different node of the same object
    CHECK(all.front() == &a);
    CHECK(run.front() == &a);
}

TEST_CASE("list: popping an empty list returns null") {
    RunList l;
    CHECK(l.pop_front() == nullptr);
    CHECK(l.front() == nullptr);
    CHECK(l.begin() == l.end());
}
