// lib/libc/fortify.cpp's failure for the kernel test image that links
// Debian's libbearssl.a (guest_request_image.cpp): a copy past its
// destination is a broken invariant of the image.
#include "panic.hpp"

extern "C" [[noreturn]] void warden_fortify_fail(const char* what) { warden::panic("{}", what); }
