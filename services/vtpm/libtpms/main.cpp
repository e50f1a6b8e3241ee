// The vTPM service (SVSM protocol 2's back end; docs/vtpm.md): Debian's
// libtpms (TPM 2.0) on OpenSSL's libcrypto, linked static with glibc as
// they are and run as a Linux task (kManifestLinux). At its start it
// manufactures a TPM with NV in memory, starts it (TPM2_Startup(CLEAR)) and
// creates the EK from the TCG default EK template L-1 (RSA 2048; TCG EK
// Credential Profile 2.0, B.3.3), shuts it down and power-cycles it (it
// then waits for the guest's TPM2_Startup, as a TPM after a reset); then it
// serves "vtpm": a TPM command in the caller's lend, the TPM's response
// back in it.
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

extern "C" {
#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
}

#include "manifest_note.hpp"
#include "warden/abi/vtpm_service.hpp"
#include "warden/linux/abi.hpp"

WARDEN_SERVICE_MANIFEST(.name = "vtpm", .serves = "vtpm", .uses = {}, .ports = {}, .cpu = warden::abi::kAnyCpu,
                        .flags = warden::abi::kManifestLinux);

namespace {

using warden::abi::Message;
using warden::abi::Sys;
namespace proto = warden::abi::vtpm_service;

long warden_call(Sys n, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0) {
    return syscall(warden::linux_abi::kWardenCallBase + static_cast<long>(n), a, b, c, d);
}

// ---- NV in memory: the TPM's state lives as long as this task.
struct Blob {
    char name[32] = {};
    unsigned char* data = nullptr;
    uint32_t size = 0;
};
Blob nv[8];

Blob* find(const char* name, bool make) {
    for (Blob& b : nv)
        if (b.name[0] != 0 && strcmp(b.name, name) == 0) return &b;
    if (!make) return nullptr;
    for (Blob& b : nv) {
        if (b.name[0] == 0 && strlen(name) < sizeof b.name) {
            strcpy(b.name, name);
            return &b;
        }
    }
    return nullptr;
}

TPM_RESULT nv_init() { return TPM_SUCCESS; }
TPM_RESULT nv_load(unsigned char** data, uint32_t* size, uint32_t, const char* name) {
    const Blob* b = find(name, false);
    if (b == nullptr || b->data == nullptr) return TPM_RETRY;  // not stored yet: libtpms manufactures
    *data = static_cast<unsigned char*>(malloc(b->size));
    if (*data == nullptr) return TPM_FAIL;
    memcpy(*data, b->data, b->size);
    *size = b->size;
    return TPM_SUCCESS;
}
TPM_RESULT nv_store(const unsigned char* data, uint32_t size, uint32_t, const char* name) {
    Blob* b = find(name, true);
    if (b == nullptr) return TPM_FAIL;
    auto* copy = static_cast<unsigned char*>(malloc(size));
    if (copy == nullptr) return TPM_FAIL;
    memcpy(copy, data, size);
    free(b->data);
    b->data = copy;
    b->size = size;
    return TPM_SUCCESS;
}
TPM_RESULT nv_delete(uint32_t, const char* name, TPM_BOOL must_exist) {
    Blob* b = find(name, false);
    if (b == nullptr) return must_exist ? TPM_FAIL : TPM_SUCCESS;
    free(b->data);
    *b = Blob{};
    return TPM_SUCCESS;
}
TPM_RESULT io_init() { return TPM_SUCCESS; }
TPM_RESULT io_locality(TPM_MODIFIER_INDICATOR* locality, uint32_t) {
    *locality = 0;
    return TPM_SUCCESS;
}
TPM_RESULT io_presence(TPM_BOOL* present, uint32_t) {
    *present = 0;
    return TPM_SUCCESS;
}

// ---- Commands, marshaled big-endian (TPM 2.0 Part 1, "Command Header").
struct Command {
    unsigned char b[1024];
    uint32_t n = 0;
    void u8(uint8_t v) { b[n++] = v; }
    void u16(uint16_t v) { u8(static_cast<uint8_t>(v >> 8)), u8(static_cast<uint8_t>(v)); }
    void u32(uint32_t v) { u16(static_cast<uint16_t>(v >> 16)), u16(static_cast<uint16_t>(v)); }
    void bytes(const void* p, uint32_t len) { memcpy(b + n, p, len), n += len; }
    void header(uint16_t tag, uint32_t code) { n = 0, u16(tag), u32(0), u32(code); }
    void finish() {
        b[2] = static_cast<unsigned char>(n >> 24), b[3] = static_cast<unsigned char>(n >> 16),
        b[4] = static_cast<unsigned char>(n >> 8), b[5] = static_cast<unsigned char>(n);
    }
};
uint32_t be32(const unsigned char* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint16_t be16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

constexpr uint16_t kTagNoSessions = 0x8001, kTagSessions = 0x8002;
constexpr uint32_t kCcStartup = 0x144, kCcShutdown = 0x145, kCcCreatePrimary = 0x131, kCcFlushContext = 0x165;
constexpr uint32_t kRhEndorsement = 0x4000000b, kRsPw = 0x40000009;

unsigned char* response = nullptr;
uint32_t response_size = 0, response_room = 0;

// The TPM's response code, or ~0 when libtpms did not answer.
uint32_t run(Command& c) {
    c.finish();
    if (TPMLIB_Process(&response, &response_size, &response_room, c.b, c.n) != TPM_SUCCESS || response_size < 10)
        return ~0u;
    return be32(response + 6);
}

// TPM2_Startup or TPM2_Shutdown with TPM_SU_CLEAR: the response code.
uint32_t clear(uint32_t code) {
    Command c;
    c.header(kTagNoSessions, code);
    c.u16(0);  // TPM_SU_CLEAR
    return run(c);
}

double ms_since(const timespec& t0) {
    timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return static_cast<double>(t1.tv_sec - t0.tv_sec) * 1e3 + static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

// The EK's public area, as TPM2_CreatePrimary returned it (TPMT_PUBLIC).
unsigned char ek_public[512];
uint32_t ek_public_size = 0;

// TPM2_CreatePrimary(TPM_RH_ENDORSEMENT) with template L-1: RSA 2048,
// SHA-256, fixedTPM | fixedParent | sensitiveDataOrigin | adminWithPolicy |
// restricted | decrypt (0x000300b2), the PolicySecret(TPM_RH_ENDORSEMENT)
// policy, AES-128-CFB, no scheme, exponent 0, a 256-byte zero unique.
bool create_ek() {
    static const unsigned char kPolicy[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
                                              0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
                                              0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};
    Command c;
    c.header(kTagSessions, kCcCreatePrimary);
    c.u32(kRhEndorsement);
    c.u32(9), c.u32(kRsPw), c.u16(0), c.u8(0), c.u16(0);  // one password session, empty
    c.u16(4), c.u16(0), c.u16(0);                         // inSensitive: no auth, no data
    Command pub;
    pub.u16(0x0001), pub.u16(0x000b), pub.u32(0x000300b2);
    pub.u16(32), pub.bytes(kPolicy, 32);
    pub.u16(0x0006), pub.u16(128), pub.u16(0x0043);  // AES-128-CFB
    pub.u16(0x0010), pub.u16(2048), pub.u32(0);      // no scheme, 2048 bits, the default exponent
    pub.u16(256);
    for (int i = 0; i < 256; ++i) pub.u8(0);
    c.u16(static_cast<uint16_t>(pub.n)), c.bytes(pub.b, pub.n);
    c.u16(0), c.u32(0);  // outsideInfo, creationPCR
    if (run(c) != 0) return false;
    const uint32_t handle = be32(response + 10);
    const unsigned char* out_public = response + 18;  // after the handle and the parameter size
    ek_public_size = be16(out_public);
    if (ek_public_size > sizeof ek_public || 20 + ek_public_size > response_size) return false;
    memcpy(ek_public, out_public + 2, ek_public_size);
    Command flush;
    flush.header(kTagNoSessions, kCcFlushContext);
    flush.u32(handle);
    return run(flush) == 0;
}

unsigned char lent[proto::kMaxCommand];

Message serve(const Message& m) {
    Message r;
    const long size = warden_call(Sys::kLentRead, m.reply, 0, 0, 0);
    if (m.label == proto::kEkPublic) {
        if (size < static_cast<long>(ek_public_size) ||
            warden_call(Sys::kLentWrite, m.reply, 0, reinterpret_cast<uint64_t>(ek_public), ek_public_size) < 0)
            r.label = static_cast<uint64_t>(warden::Error::kInvalidArgument);
        r.words[0] = ek_public_size;
        return r;
    }
    const uint64_t n = m.words[0];
    if (m.label != proto::kCommand || n == 0 || n > proto::kMaxCommand ||
        size < static_cast<long>(proto::kMaxCommand) ||
        warden_call(Sys::kLentRead, m.reply, 0, reinterpret_cast<uint64_t>(lent), n) < 0) {
        r.label = static_cast<uint64_t>(warden::Error::kInvalidArgument);
        return r;
    }
    if (TPMLIB_Process(&response, &response_size, &response_room, lent, static_cast<uint32_t>(n)) != TPM_SUCCESS ||
        response_size > proto::kMaxCommand ||
        warden_call(Sys::kLentWrite, m.reply, 0, reinterpret_cast<uint64_t>(response), response_size) < 0) {
        r.label = static_cast<uint64_t>(warden::Error::kUnsupported);
        return r;
    }
    r.words[0] = response_size;
    return r;
}

}  // namespace

int main() {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    // The TPM's seeds and every key come from OpenSSL's DRBG, seeded by
    // getrandom: without the CPU's DRNG there is no entropy, and a TPM
    // without it would only pretend (OpenSSL falls back to weak sources).
    unsigned char probe[32];
    if (getrandom(probe, sizeof probe, 0) != static_cast<ssize_t>(sizeof probe)) {
        printf("vtpm: no entropy (getrandom refused: the CPU has neither RDSEED nor RDRAND): not serving\n");
        return 4;
    }
    libtpms_callbacks callbacks{};
    callbacks.sizeOfStruct = sizeof callbacks;
    callbacks.tpm_nvram_init = nv_init;
    callbacks.tpm_nvram_loaddata = nv_load;
    callbacks.tpm_nvram_storedata = nv_store;
    callbacks.tpm_nvram_deletename = nv_delete;
    callbacks.tpm_io_init = io_init;
    callbacks.tpm_io_getlocality = io_locality;
    callbacks.tpm_io_getphysicalpresence = io_presence;
    timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2) != TPM_SUCCESS ||
        TPMLIB_RegisterCallbacks(&callbacks) != TPM_SUCCESS || TPMLIB_MainInit() != TPM_SUCCESS) {
        printf("vtpm: libtpms did not start: not serving\n");
        return 1;
    }
    const double manufactured = ms_since(t0);
    if (const uint32_t rc = clear(kCcStartup); rc != 0) {
        printf("vtpm: TPM2_Startup answered %#x: not serving\n", rc);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!create_ek()) {
        printf("vtpm: the EK (template L-1) was not created: not serving\n");
        return 3;
    }
    // Then a power cycle, so that the TPM waits for its TPM2_Startup as a
    // TPM does after a reset: the guest's firmware or OS sends it (Linux's
    // tpm2_auto_startup does; so does tpm2_startup). The NV, and with it the
    // endorsement seed and the EK it derives, is kept.
    if (const uint32_t rc = clear(kCcShutdown); rc != 0) {
        printf("vtpm: TPM2_Shutdown answered %#x: not serving\n", rc);
        return 5;
    }
    TPMLIB_Terminate();
    if (TPMLIB_MainInit() != TPM_SUCCESS) {
        printf("vtpm: libtpms did not start again after its power cycle: not serving\n");
        return 6;
    }
    unsigned char digest[32];
    unsigned int digest_size = 0;
    EVP_Digest(ek_public, ek_public_size, digest, &digest_size, EVP_sha256(), nullptr);
    char hex[65];
    for (unsigned i = 0; i < 32; ++i) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    // Two lines: the emulated SNP host cuts a line of the shared serial port at 160 bytes.
    printf("vtpm: libtpms %#x started in %.1f ms; EK (RSA 2048, template L-1) in %.1f ms, %u bytes\n",
           TPMLIB_GetVersion(), manufactured, ms_since(t0), ek_public_size);
    printf("vtpm: EK public area SHA-256 %s\n", hex);
    printf("vtpm: power-cycled: the TPM waits for TPM2_Startup\n");
    for (;;) {
        Message m;
        if (warden_call(Sys::kReceive, 0, reinterpret_cast<uint64_t>(&m), warden::abi::kForever) != 0 || m.reply == 0)
            continue;
        const Message r = serve(m);
        (void)warden_call(Sys::kReply, m.reply, reinterpret_cast<uint64_t>(&r));
    }
}
