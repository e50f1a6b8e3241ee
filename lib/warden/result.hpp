// Errors are values: Result<T> carries either a T or an Error, and the compiler
// refuses to let a caller drop one on the floor.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

#include "warden/types.hpp"

namespace warden {

enum class Error : uint16_t {
    kInvalidArgument = 1,
    kOutOfRange,
    kOverflow,
    kTruncated,
    kBadMagic,
    kBadVersion,
    kMisaligned,
    kOverlap,
    kNotFound,
    kNoMemory,
    kBusy,
    kUnsupported,
    kDoubleFree,
    kWrongOrder,
    kNotOwned,
    kAlreadyMapped,
    kNotMapped,
    kWriteExecute,
    kBadHandle,
    kTimedOut,
    kDenied,
    kPeerGone,     // the task at the other end of a call gave up or ended
    kBadSequence,  // a message whose sequence number is not the one expected (a replay)
};
inline constexpr Error kLastError = Error::kBadSequence;  // keep last: tests walk 1..kLastError

// A stable, human-readable name for log lines and test failures.
constexpr const char* error_name(Error e) {
    switch (e) {
    case Error::kInvalidArgument: return "invalid argument";
    case Error::kOutOfRange: return "out of range";
    case Error::kOverflow: return "arithmetic overflow";
    case Error::kTruncated: return "truncated input";
    case Error::kBadMagic: return "bad magic";
    case Error::kBadVersion: return "unsupported version";
    case Error::kMisaligned: return "misaligned";
    case Error::kOverlap: return "overlapping ranges";
    case Error::kNotFound: return "not found";
    case Error::kNoMemory: return "out of memory";
    case Error::kBusy: return "busy";
    case Error::kUnsupported: return "unsupported";
    case Error::kDoubleFree: return "double free";
    case Error::kWrongOrder: return "freed with the wrong order";
    case Error::kNotOwned: return "not owned by the allocator";
    case Error::kAlreadyMapped: return "already mapped";
    case Error::kNotMapped: return "not mapped";
    case Error::kWriteExecute: return "writable and executable";
    case Error::kBadHandle: return "bad handle";
    case Error::kTimedOut: return "timed out";
    case Error::kDenied: return "permission denied";
    case Error::kPeerGone: return "the other end is gone";
    case Error::kBadSequence: return "wrong sequence number";
    }
    return "unknown error";
}

// Tag to build a failed Result: `return Fail(Error::kTruncated);`
struct Fail {
    constexpr explicit Fail(Error e) : error(e) {}
    Error error;
};

template <typename T>
class [[nodiscard]] Result {
    static_assert(!std::is_reference_v<T>, "Result<T&> is not supported; return a pointer");

public:
    constexpr Result(const T& v) : ok_(true), value_(v) {}
    constexpr Result(T&& v) : ok_(true), value_(std::move(v)) {}
    constexpr Result(Fail f) : ok_(false), error_(f.error), none_() {}

    // Trivial T keeps Result trivial (and usable in constant expressions);
    // other T get the copy and destruction their value needs.
    Result(const Result&) requires std::is_trivially_copy_constructible_v<T>
    = default;
    Result(const Result& o) : ok_(o.ok_), error_(o.error_), none_() {
        if (ok_) new (&value_) T(o.value_);
    }
    Result& operator=(const Result&) requires(
        std::is_trivially_copy_assignable_v<T>&& std::is_trivially_destructible_v<T>) = default;
    Result& operator=(const Result& o) {
        if (this == &o) return *this;
        if (ok_) value_.~T();
        ok_ = o.ok_;
        error_ = o.error_;
        if (ok_) new (&value_) T(o.value_);
        return *this;
    }
    ~Result() requires std::is_trivially_destructible_v<T>
    = default;
    ~Result() {
        if (ok_) value_.~T();
    }

    constexpr bool ok() const { return ok_; }
    constexpr explicit operator bool() const { return ok_; }
    // Reading the value of a failed Result (or the error of a good one) is a
    // programming error; lib/ has no panic, so it is checked in debug builds
    // of the host tests through the caller's REQUIRE, not here.
    constexpr T& value() { return value_; }
    constexpr const T& value() const { return value_; }
    constexpr T& operator*() { return value_; }
    constexpr const T& operator*() const { return value_; }
    constexpr T* operator->() { return &value_; }
    constexpr const T* operator->() const { return &value_; }
    constexpr Error error() const { return ok_ ? Error{} : error_; }
    constexpr T value_or(T fallback) const { return ok_ ? value_ : fallback; }

private:
    // The error lives outside the union: it is always initialised, so copying
    // a Result never reads storage the value left undefined.
    bool ok_;
    Error error_{};
    union {
        char none_;
        T value_;
    };
};

template <>
class [[nodiscard]] Result<void> {
public:
    constexpr Result() = default;
    constexpr Result(Fail f) : ok_(false), error_(f.error) {}
    constexpr bool ok() const { return ok_; }
    constexpr explicit operator bool() const { return ok_; }
    constexpr Error error() const { return error_; }

private:
    bool ok_ = true;
    Error error_{};
};

// Propagate a failure to the caller: `WARDEN_TRY(x, parse(bytes));`
#define WARDEN_TRY(var, expr)                                              \
    auto var##_result_ = (expr);                                           \
    if (!var##_result_.ok()) return ::warden::Fail(var##_result_.error()); \
    auto& var = var##_result_.value()  // NOLINT(bugprone-macro-parentheses): var is a name

#define WARDEN_TRY_VOID(expr)                            \
    do {                                                 \
        auto r_ = (expr);                                \
        if (!r_.ok()) return ::warden::Fail(r_.error()); \
    } while (0)

}  // namespace warden
