// What Debian's libbearssl.a (built with _FORTIFY_SOURCE for glibc) calls
// besides memcpy, memset, memmove, memcmp and strlen (lib/libc): the checked
// copies, for the kernel test image that links it (guest_request_image.cpp).
#include <cstddef>

#include "panic.hpp"

extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* __memcpy_chk(void* dst, const void* src, size_t n, size_t dst_size) {
    if (n > dst_size) warden::panic("fortified memcpy past its destination");
    return memcpy(dst, src, n);
}
void* __memset_chk(void* dst, int c, size_t n, size_t dst_size) {
    if (n > dst_size) warden::panic("fortified memset past its destination");
    return memset(dst, c, n);
}
void* __memmove_chk(void* dst, const void* src, size_t n, size_t dst_size) {
    if (n > dst_size) warden::panic("fortified memmove past its destination");
    return memmove(dst, src, n);
}
}
