//! The floor the parser is measured against, as a whole process: each file's design XML
//! inflated with the same decompressor as the reader (zlib-rs through `zip` or `flate2`; plain
//! XML is only moved through the same 64 KiB buffer), and its tags counted with `memchr`.
//! Prints the files, bytes and tags.
//!
//! `cargo run --release --example inflate-only -- FILE...`; `benches/instructions.sh` counts
//! its instructions beside `ork inspect`'s.

use std::io::{self, BufRead, BufReader, Read};

/// Counts the `<` of a stream through a 64 KiB buffer; returns (bytes, tags).
fn count(reader: impl Read) -> io::Result<(u64, u64)> {
    let mut r = BufReader::with_capacity(64 * 1024, reader);
    let (mut bytes, mut tags) = (0u64, 0u64);
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok((bytes, tags));
        }
        tags += memchr::memchr_iter(b'<', chunk).count() as u64;
        let k = chunk.len();
        bytes += k as u64;
        r.consume(k);
    }
}

fn inflate(data: &[u8]) -> io::Result<(u64, u64)> {
    if data.starts_with(b"PK") {
        let mut z = zip::ZipArchive::new(io::Cursor::new(data)).map_err(io::Error::other)?;
        let idx = (0..z.len())
            .find(|&i| {
                z.by_index_data(i)
                    .ok()
                    .and_then(|f| {
                        f.name()
                            .map(|n| n.to_ascii_lowercase().ends_with(".ork"))
                            .ok()
                    })
                    .unwrap_or(false)
            })
            .unwrap_or(0);
        let counted = count(z.by_index(idx).map_err(io::Error::other)?);
        counted
    } else if data.starts_with(&[0x1f, 0x8b]) {
        count(flate2::read::MultiGzDecoder::new(data))
    } else {
        count(data)
    }
}

fn main() -> io::Result<()> {
    let (mut files, mut bytes, mut tags) = (0u64, 0u64, 0u64);
    for path in std::env::args_os().skip(1) {
        let data = std::fs::read(&path)?;
        let (b, t) = inflate(&data)?;
        files += 1;
        bytes += b;
        tags += t;
    }
    println!("{files} files, {bytes} bytes of XML, {tags} tags");
    Ok(())
}
