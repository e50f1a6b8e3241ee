#!/usr/bin/env python3
"""Damaged copies of an OVMF image for the BIOS loader's boot tests:
   bad_firmware.py IMAGE TRUNCATED_PAGES TRUNCATED_ODD CORRUPT OVERSIZE
   - TRUNCATED_PAGES: the first 1 MiB (whole pages; the footer table is gone)
   - TRUNCATED_ODD: the first 100000 bytes (not whole pages)
   - CORRUPT: the SEV metadata's "ASEV" signature changed to "XSEV"
   - OVERSIZE: the image behind zero pages, 64 KiB more than the 4 MiB flash
     region (whole pages, footer and metadata intact: refused for its size)
"""
import sys

image, truncated_pages, truncated_odd, corrupt, oversize = sys.argv[1:6]
data = open(image, "rb").read()
open(truncated_pages, "wb").write(data[: 1 << 20])
open(truncated_odd, "wb").write(data[:100000])
at = data.rfind(b"ASEV")
if at < 0:
    sys.exit(f"{image}: no SEV metadata to corrupt")
open(corrupt, "wb").write(data[:at] + b"X" + data[at + 1 :])
open(oversize, "wb").write(bytes((4 << 20) + (64 << 10) - len(data)) + data)
