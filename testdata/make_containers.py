#!/usr/bin/env python3
"""Regenerate the derived / binary fixtures in this directory.

Run from anywhere:  python3 testdata/make_containers.py

Inputs (hand-written, committed): minimal.ork.
Outputs (committed, deterministic; re-running gives byte-identical files):

  unknown-version.ork        minimal.ork with version="1.99" and an unknown <frobnicator> in the body tube
  zipped.ork                 zip written like OpenRocket's ZipOutputStream: rocket.ork (= minimal.ork) first,
                             deflated, data descriptor (flag 0x0808, zero sizes/CRC in the local header),
                             then decals/paint.png
  gzipped.ork                gzip of minimal.ork (mtime 0)
  bad-truncated.zip.ork      first half of zipped.ork
  bad-no-ork-entry.ork       valid zip holding only readme.txt and image.png
  bad-random.ork             512 deterministic pseudo-random bytes (SHA-256 counter stream)
  bad-empty.ork              0 bytes
  bad-nesting.ork            100 bodytubes nested inside each other's <subcomponents>
  bad-number.ork             minimal.ork with the body tube <length>12,5cm</length>
  bad-nested-archive.ork     zip whose rocket.ork entry is the bytes of zipped.ork
  bad-truncated-xml.ork      minimal.ork cut in the middle of <rocket>
  bad-zip-bomb.ork           zip whose rocket.ork inflates to an XML prefix + 600 MiB of spaces (streamed;
                             the generator never holds more than 1 MiB of it)
  bad-png.ork                the 1x1 PNG of zipped.ork's decal, under an .ork name
  bad-pdf.ork                a small valid one-page PDF, under an .ork name

Hand-written and NOT produced here: minimal.ork, format-1.0-position.ork, format-1.8-axialoffset.ork,
all-components.ork, boosterset-legacy.ork, localized-columns.ork, bad-entity-bomb.ork, bad-rocksim.ork.
"""

import gzip
import hashlib
import io
import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DATE = (2024, 1, 1, 12, 0, 0)  # fixed timestamp so the zips are reproducible


def path(name):
    return os.path.join(HERE, name)


def read(name):
    with open(path(name), "rb") as f:
        return f.read()


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


class _NonSeekable(io.RawIOBase):
    """Write-only, tellable, NOT seekable sink: makes zipfile use data descriptors (flag bit 3)."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def seekable(self):
        return False

    def write(self, b):
        self.buf += b
        return len(b)

    def tell(self):
        return len(self.buf)

    def seek(self, *a):
        raise OSError("not seekable")


def _set_utf8_flag(data):
    """Set general-purpose bit 11 (UTF-8 names) in every local and central header, as Java's
    ZipOutputStream does (flag 0x0808). zipfile resets flag_bits in open(mode='w'), so patch the bytes.
    Flags are not covered by any CRC."""
    data = bytearray(data)
    i = 0
    while True:
        i = data.find(b"PK\x03\x04", i)
        if i < 0:
            break
        flags = struct.unpack_from("<H", data, i + 6)[0]
        struct.pack_into("<H", data, i + 6, flags | 0x0800)
        i += 4
    i = 0
    while True:
        i = data.find(b"PK\x01\x02", i)
        if i < 0:
            break
        flags = struct.unpack_from("<H", data, i + 8)[0]
        struct.pack_into("<H", data, i + 8, flags | 0x0800)
        i += 4
    return bytes(data)


def openrocket_style_zip(entries):
    """entries: list of (name, bytes). Deflated level 9, streamed (data descriptors), like OpenRocket."""
    sink = _NonSeekable()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0
            with zf.open(zi, "w", force_zip64=False) as w:
                w.write(data)
    return _set_utf8_flag(bytes(sink.buf))


def plain_zip(entries):
    """Ordinary seekable zip (sizes in the local header, no data descriptor)."""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w") as zf:
        for name, data, method in entries:
            zi = zipfile.ZipInfo(name, date_time=DATE)
            zi.compress_type = method
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, data)
    return bio.getvalue()


def tiny_png():
    """A valid 1x1 opaque red PNG (69 bytes)."""

    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00", 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def tiny_pdf():
    """A valid one-page PDF (no content stream), with a correct xref table."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def pseudo_random(n, seed):
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:n])


def main():
    minimal = read("minimal.ork")
    text = minimal.decode("utf-8")

    # unknown-version.ork
    s = text.replace('<openrocket version="1.9" creator="OpenRocket 23.09">',
                     '<openrocket version="1.99" creator="OpenRocket 99.01">', 1)
    s = s.replace("<name>Minimal</name>", "<name>Unknown version</name>", 1)
    anchor = "            <radius>auto</radius>\n"
    assert s.count(anchor) == 1
    s = s.replace(anchor, anchor + "            <frobnicator>x</frobnicator>\n", 1)
    write("unknown-version.ork", s.encode("utf-8"))

    # zipped.ork
    zipped = openrocket_style_zip([("rocket.ork", minimal), ("decals/paint.png", tiny_png())])
    write("zipped.ork", zipped)

    # gzipped.ork
    write("gzipped.ork", gzip.compress(minimal, compresslevel=9, mtime=0))

    # bad-truncated.zip.ork
    write("bad-truncated.zip.ork", zipped[: len(zipped) // 2])

    # bad-no-ork-entry.ork
    write("bad-no-ork-entry.ork", plain_zip([
        ("readme.txt", b"This archive holds no OpenRocket design.\n", zipfile.ZIP_DEFLATED),
        ("image.png", tiny_png(), zipfile.ZIP_STORED),
    ]))

    # bad-random.ork
    rnd = pseudo_random(512, b"ork-processor bad-random.ork seed 1")
    assert rnd[:2] not in (b"PK", b"\x1f\x8b") and rnd[0] not in b"<\xef\xfe\xff \t\r\n"
    write("bad-random.ork", rnd)

    # bad-empty.ork
    write("bad-empty.ork", b"")

    # bad-nesting.ork: 100 x <subcomponents><bodytube>, each body tube inside the previous one
    depth = 100
    parts = [
        "<?xml version='1.0' encoding='utf-8'?>\n",
        '<openrocket version="1.9" creator="OpenRocket 23.09">\n',
        "<rocket>\n<name>Too deep</name>\n<subcomponents>\n<stage>\n<name>Sustainer</name>\n",
    ]
    for i in range(1, depth + 1):
        parts.append("<subcomponents>\n<bodytube>\n<name>Tube %d</name>\n<length>0.01</length>\n"
                     "<thickness>0.0005</thickness>\n<radius>0.0125</radius>\n" % i)
    for i in range(depth):
        parts.append("</bodytube>\n</subcomponents>\n")
    parts.append("</stage>\n</subcomponents>\n</rocket>\n<simulations>\n</simulations>\n</openrocket>\n")
    write("bad-nesting.ork", "".join(parts).encode("utf-8"))

    # bad-number.ork
    anchor = "            <length>0.3</length>\n"
    assert text.count(anchor) == 1
    write("bad-number.ork", text.replace(anchor, "            <length>12,5cm</length>\n", 1).encode("utf-8"))

    # bad-nested-archive.ork
    write("bad-nested-archive.ork", openrocket_style_zip([("rocket.ork", zipped)]))

    # bad-truncated-xml.ork: cut halfway between the start of <rocket> and the end of </rocket>
    a = minimal.index(b"<rocket>")
    b = minimal.index(b"</rocket>") + len(b"</rocket>")
    write("bad-truncated-xml.ork", minimal[: a + (b - a) // 2])

    # bad-zip-bomb.ork (streamed: constant memory)
    prefix = b"<?xml version='1.0' encoding='utf-8'?>\n<openrocket version=\"1.9\" creator=\"bomb\"><rocket><name>"
    chunk = b" " * (1 << 20)
    with zipfile.ZipFile(path("bad-zip-bomb.ork"), "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zi = zipfile.ZipInfo("rocket.ork", date_time=DATE)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o644 << 16
        with zf.open(zi, "w", force_zip64=False) as w:
            w.write(prefix)
            for _ in range(600):
                w.write(chunk)

    # bad-png.ork
    write("bad-png.ork", tiny_png())

    # bad-pdf.ork
    write("bad-pdf.ork", tiny_pdf())


if __name__ == "__main__":
    main()
