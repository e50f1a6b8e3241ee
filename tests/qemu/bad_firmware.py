#!/usr/bin/env python3
"""Damaged copies of an OVMF image for the BIOS loader's boot tests:
   bad_firmware.py IMAGE TRUNCATED_PAGES TRUNCATED_ODD CORRUPT
   - TRUNCATED_PAGES: the first 1 MiB (whole pages; the footer table is gone)
   - TRUNCATED_ODD: the first 100000 bytes (not whole pages)
   - CORRUPT: the SEV metadata's "ASEV" signature changed to "XSEV"
"""
import sys

image, truncated_pages, truncated_odd, corrupt = sys.argv[1:5]
data = open(image, "rb").read()
open(truncated_pages, "wb").write(data[: 1 << 20])
open(truncated_odd, "wb").write(data[:100000])
at = data.rfind(b"ASEV")
if at < 0:
    sys.exit(f"{image}: no SEV metadata to corrupt")
open(corrupt, "wb").write(data[:at] + b"X" + data[at + 1 :])
