// The service manifest's ELF note (owner "Warden", type 1), which the kernel
// reads before it creates the task: for Warden's services (service.hpp) and
// for Linux programs linked with glibc (kManifestLinux), which see nothing
// else of the runtime.
#pragma once

#include <cstddef>

#include "warden/abi/syscall.hpp"

// Places the manifest in the ELF note the kernel reads ("Warden", type 1).
#define WARDEN_SERVICE_MANIFEST(...)                                                                             \
    struct WardenManifestNote {                                                                                  \
        uint32_t namesz = 7, descsz = sizeof(warden::abi::Manifest), type = 1;                                   \
        char name[8] = "Warden";                                                                                 \
        warden::abi::Manifest desc;                                                                              \
    };                                                                                                           \
    static_assert(offsetof(WardenManifestNote, desc) == 20, "ELF note layout: header, name, desc");              \
    [[gnu::used, gnu::section(".note.warden"), gnu::aligned(4)]] const WardenManifestNote warden_manifest_note { \
        7, sizeof(warden::abi::Manifest), 1, "Warden", warden::abi::Manifest { __VA_ARGS__ }                     \
    }
