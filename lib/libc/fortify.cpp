// What Debian's libbearssl.a (built with _FORTIFY_SOURCE for glibc) calls
// instead of memcpy, memset and memmove when it knows the destination's
// size, for the freestanding images that link the archive (the emulated
// host, the SNP guest-request test image, the attestation test task). Each
// image supplies warden_fortify_fail: what a copy past its destination ends.
#include <cstddef>

extern "C" {
[[noreturn]] void warden_fortify_fail(const char* what);
void* memcpy(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
void* memmove(void* dst, const void* src, size_t n);

void* __memcpy_chk(void* dst, const void* src, size_t n, size_t dst_size) {
    if (n > dst_size) warden_fortify_fail("fortified memcpy past its destination");
    return memcpy(dst, src, n);
}
void* __memset_chk(void* dst, int c, size_t n, size_t dst_size) {
    if (n > dst_size) warden_fortify_fail("fortified memset past its destination");
    return memset(dst, c, n);
}
void* __memmove_chk(void* dst, const void* src, size_t n, size_t dst_size) {
    if (n > dst_size) warden_fortify_fail("fortified memmove past its destination");
    return memmove(dst, src, n);
}
}
