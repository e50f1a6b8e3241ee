# A 64 KiB -bios image that copies fw_cfg items to COM1 and exits: how the
# QEMU vectors in tests/unit/data were captured (see ../README.md).
# It runs in real mode from the reset vector, with CS based at 0xffff0000;
# capture.py patches the item table at offset 0x100: (u16 selector, u32
# length) records, ended by selector 0xffff. Bytes go through the traditional
# fw_cfg ports (selector 0x510, data 0x511) to the COM1 data port, unpaced:
# QEMU's UART takes every write. The end is a write to isa-debug-exit.
    .code16
    .text
start:
    cli
    mov $0x100, %si
next_item:
    mov %cs:(%si), %ax
    cmp $0xffff, %ax
    je finish
    mov $0x510, %dx
    out %ax, %dx
    mov %cs:2(%si), %cx           # length, low 16 bits
    mov %cs:4(%si), %bx           # length, high 16 bits
copy:
    test %cx, %cx
    jnz 1f
    test %bx, %bx
    jz item_done
    dec %bx
1:  dec %cx
    mov $0x511, %dx
    in %dx, %al
    mov $0x3f8, %dx
    out %al, %dx
    jmp copy
item_done:
    add $6, %si
    jmp next_item
finish:
    mov $0xf4, %dx
    mov $0x10, %al                # QEMU exits with status (0x10 << 1) | 1 = 33
    out %al, %dx
    hlt
    jmp finish

    .org 0x100
items:
    .word 0xffff

    .org 0xfff0                   # the reset vector: CS:IP = f000:fff0
    jmp start
    .org 0x10000
