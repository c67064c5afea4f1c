//! The container: sniff the magic bytes, open zip / gzip / plain XML, and hand the XML on as a
//! stream that counts (and caps) the inflated bytes.
//!
//! Zip archives are opened through the central directory, never by streaming local headers:
//! OpenRocket writes data-descriptor entries whose local headers hold size 0.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::rc::Rc;

use super::{Limits, OrkError};
use crate::model::{ArchiveEntry, ContainerInfo, ContainerKind};

/// How far into the XML we look for `<openrocket` (OpenRocket itself looks at 300 bytes; we
/// allow for a long XML declaration or a leading comment).
const SNIFF_WINDOW: usize = 2048;

/// Capacity of the buffer between the decompressor and the XML reader: 64 KiB, less for small
/// inputs (the buffer is initialised once per file).
fn buf_capacity(input_len: usize, container: &str) -> usize {
    let expected = if container == "xml" {
        input_len
    } else {
        input_len.saturating_mul(8)
    };
    expected.clamp(4096, 64 * 1024)
}

/// Shared counter of XML bytes handed to the parser, and whether the cap was hit.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    pub bytes: Cell<u64>,
    pub limit: u64,
    pub limit_hit: Cell<bool>,
    /// Bytes since the last `<`: the longest text or tag the XML reader would have to buffer.
    pub run: Cell<u64>,
    pub max_run: u64,
    pub run_hit: Cell<bool>,
}

/// A reader that counts bytes and fails once more than `limit` have passed through.
struct Capped<R> {
    inner: R,
    meter: Rc<Meter>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.meter.bytes.get() + n as u64;
        self.meter.bytes.set(total);
        if total > self.meter.limit {
            self.meter.limit_hit.set(true);
            return Err(io::Error::other(format!(
                "inflated size passed the limit of {} bytes",
                self.meter.limit
            )));
        }
        let run = match memchr::memrchr(b'<', &buf[..n]) {
            Some(at) => (n - at - 1) as u64,
            None => self.meter.run.get() + n as u64,
        };
        self.meter.run.set(run);
        if run > self.meter.max_run {
            self.meter.run_hit.set(true);
            return Err(io::Error::other(format!(
                "more than {} bytes without markup",
                self.meter.max_run
            )));
        }
        Ok(n)
    }
}

/// What the parser gets: the XML stream and what is known of the container.
pub(crate) struct XmlSource<'a> {
    pub reader: &'a mut dyn BufRead,
    pub info: ContainerInfo,
    pub meter: Rc<Meter>,
}

/// Sniffs `bytes`, opens the container and calls `parse` with the XML stream.
pub(crate) fn with_xml<T>(
    bytes: &[u8],
    limits: &Limits,
    parse: impl FnOnce(XmlSource<'_>) -> Result<T, OrkError>,
) -> Result<T, OrkError> {
    let size = bytes.len() as u64;
    if bytes.is_empty() {
        return Err(OrkError::Empty);
    }
    if size > limits.max_input_bytes {
        return Err(OrkError::InputTooLarge {
            size,
            limit: limits.max_input_bytes,
        });
    }
    let meter = Rc::new(Meter {
        limit: limits.max_xml_bytes,
        max_run: limits.max_text_bytes,
        ..Meter::default()
    });
    let info = |kind, design_entry, other_entries| ContainerInfo {
        kind,
        compressed_bytes: size,
        xml_bytes: 0,
        design_entry,
        other_entries,
    };
    if bytes.starts_with(b"PK") {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| OrkError::Zip {
            reason: e.to_string(),
        })?;
        let mut design = None;
        let mut others = Vec::new();
        let mut names = Vec::new();
        for i in 0..archive.len() {
            let entry = archive.by_index_data(i).map_err(|e| OrkError::Zip {
                reason: e.to_string(),
            })?;
            let name = entry.name().map_err(|e| OrkError::Zip {
                reason: e.to_string(),
            })?;
            let name = name.into_owned();
            names.push(name.clone());
            if design.is_none() && name.to_ascii_lowercase().ends_with(".ork") {
                design = Some((i, name));
            } else {
                others.push(ArchiveEntry {
                    name,
                    size: entry.size(),
                });
            }
        }
        let Some((index, name)) = design else {
            return Err(OrkError::NoOrkEntry { entries: names });
        };
        let info = info(ContainerKind::Zip, Some(name), others);
        let entry = archive.by_index(index).map_err(|e| OrkError::Zip {
            reason: e.to_string(),
        })?;
        if bytes.len() >= INFLATE_ASIDE_MIN {
            drop(entry);
            // The inflating thread opens its own view of the archive (the central directory
            // was read and checked above).
            let inflate = move |pump: &mut Pump| {
                let mut archive =
                    zip::ZipArchive::new(Cursor::new(bytes)).map_err(io::Error::other)?;
                let mut entry = archive.by_index(index).map_err(io::Error::other)?;
                pump.run(&mut entry)
            };
            return inflate_aside(inflate, |inner| {
                read_stream(inner, "zip", info, meter, bytes.len(), parse)
            });
        }
        read_stream(entry, "zip", info, meter, bytes.len(), parse)
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        let info = info(ContainerKind::Gzip, None, Vec::new());
        if bytes.len() >= INFLATE_ASIDE_MIN {
            let inflate =
                move |pump: &mut Pump| pump.run(&mut flate2::read::MultiGzDecoder::new(bytes));
            return inflate_aside(inflate, |inner| {
                read_stream(inner, "gzip", info, meter, bytes.len(), parse)
            });
        }
        let gz = flate2::read::MultiGzDecoder::new(bytes);
        read_stream(gz, "gzip", info, meter, bytes.len(), parse)
    } else {
        let info = info(ContainerKind::Xml, None, Vec::new());
        read_stream(bytes, "xml", info, meter, bytes.len(), parse)
    }
}

/// Caps and sniffs the XML stream `inner`, then hands it to `parse`.
fn read_stream<R: Read, T>(
    inner: R,
    container: &'static str,
    info: ContainerInfo,
    meter: Rc<Meter>,
    input_len: usize,
    parse: impl FnOnce(XmlSource<'_>) -> Result<T, OrkError>,
) -> Result<T, OrkError> {
    let capped = Capped {
        inner,
        meter: meter.clone(),
    };
    let mut reader = sniffed(
        capped,
        container,
        &meter,
        buf_capacity(input_len, container),
    )?;
    parse(XmlSource {
        reader: &mut reader,
        info,
        meter,
    })
}

/// Compressed inputs from this size on are inflated on a second thread while the XML is read
/// (below it, starting a thread costs more than it saves).
const INFLATE_ASIDE_MIN: usize = 32 * 1024;

/// Bytes per message between the inflating thread and the reader.
const ASIDE_CHUNK: usize = 64 * 1024;

/// Chunks in flight between the two threads: bounds the memory this adds (256 KiB).
const ASIDE_DEPTH: usize = 4;

/// Inflates on a second thread: `inflate` opens the decompressor there and hands it to the
/// [`Pump`], and `read` gets a reader of what it produces, in order, at most [`ASIDE_DEPTH`]
/// chunks ahead. Errors of the decompressor (a corrupt stream, a bad CRC) reach the reader as
/// I/O errors in their place; when the reader stops early, the thread stops at its next chunk.
fn inflate_aside<'b, T>(
    inflate: impl FnOnce(&mut Pump) -> io::Result<()> + Send + 'b,
    read: impl FnOnce(ChannelReader) -> T,
) -> T {
    use std::sync::mpsc;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel(ASIDE_DEPTH);
        let (back_tx, back_rx) = mpsc::channel();
        scope.spawn(move || {
            let mut pump = Pump { tx, back: back_rx };
            let done =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inflate(&mut pump)));
            let failure = match done {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e,
                Err(_) => io::Error::other("the decompressor failed"),
            };
            let _ = pump.tx.send(Err(failure));
        });
        read(ChannelReader {
            rx,
            back: back_tx,
            current: Vec::new(),
            pos: 0,
        })
    })
}

/// The sending end of [`inflate_aside`], on the inflating thread.
struct Pump {
    tx: std::sync::mpsc::SyncSender<io::Result<Vec<u8>>>,
    back: std::sync::mpsc::Receiver<Vec<u8>>,
}

impl Pump {
    /// Reads `source` to its end in chunks and sends them; stops early, without an error, when
    /// the reader has gone.
    fn run(&mut self, source: &mut dyn Read) -> io::Result<()> {
        // Small chunks first, so that the reader starts early, then full ones.
        let mut size = ASIDE_CHUNK / 8;
        loop {
            let mut chunk = self.back.try_recv().unwrap_or_default();
            chunk.resize(size, 0);
            let mut filled = 0;
            let mut end = false;
            while filled < size {
                match source.read(&mut chunk[filled..]) {
                    Ok(0) => {
                        end = true;
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // What came before the error first, then the error.
                        chunk.truncate(filled);
                        if filled > 0 && self.tx.send(Ok(chunk)).is_err() {
                            return Ok(());
                        }
                        return Err(e);
                    }
                }
            }
            chunk.truncate(filled);
            if filled > 0 && self.tx.send(Ok(chunk)).is_err() {
                return Ok(());
            }
            if end {
                return Ok(());
            }
            size = (size * 2).min(ASIDE_CHUNK);
        }
    }
}

/// The reading end of [`inflate_aside`].
struct ChannelReader {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    back: std::sync::mpsc::Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    self.pos = 0;
                    // Hand the old buffer back for reuse (the thread may have finished).
                    let _ = self.back.send(used);
                }
                Ok(Err(e)) => return Err(e),
                // The thread is done: the end of the stream.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The XML stream after sniffing: the bytes already looked at, then the rest.
type Sniffed<R> = BufReader<io::Chain<Cursor<Vec<u8>>, R>>;

/// Reads the first bytes of the XML stream, checks that they open an OpenRocket document, and
/// returns a buffered reader that yields them again followed by the rest.
fn sniffed<R: Read>(
    mut inner: R,
    container: &'static str,
    meter: &Meter,
    capacity: usize,
) -> Result<Sniffed<R>, OrkError> {
    let mut prefix = vec![0u8; SNIFF_WINDOW];
    let mut filled = 0;
    while filled < prefix.len() {
        match inner.read(&mut prefix[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(stream_error(e, container, meter)),
        }
    }
    prefix.truncate(filled);
    classify_prefix(&prefix, container)?;
    Ok(BufReader::with_capacity(
        capacity,
        Cursor::new(prefix).chain(inner),
    ))
}

/// Maps an I/O error while reading the XML stream to a typed error.
pub(crate) fn stream_error(e: io::Error, container: &'static str, meter: &Meter) -> OrkError {
    if meter.limit_hit.get() {
        return OrkError::InflatedTooLarge { limit: meter.limit };
    }
    if meter.run_hit.get() {
        return OrkError::TextTooLong {
            limit: meter.max_run,
        };
    }
    match container {
        "xml" => OrkError::Io(e),
        _ => OrkError::Decompress {
            container,
            reason: e.to_string(),
        },
    }
}

/// Decides from the first bytes of the XML whether this is an OpenRocket document.
fn classify_prefix(prefix: &[u8], container: &'static str) -> Result<(), OrkError> {
    use memchr::memmem::find;
    if prefix.is_empty() {
        return Err(match container {
            "xml" => OrkError::Empty,
            _ => OrkError::NotOpenRocket {
                found: format!("an empty document inside the {container} container"),
            },
        });
    }
    if container != "xml" {
        if prefix.starts_with(b"PK\x03\x04") {
            return Err(OrkError::NestedArchive {
                outer: container,
                inner: "zip",
            });
        }
        if prefix.starts_with(&[0x1f, 0x8b]) {
            return Err(OrkError::NestedArchive {
                outer: container,
                inner: "gzip",
            });
        }
    }
    let open = find(prefix, b"<openrocket");
    let doctype = find(prefix, b"<!DOCTYPE").or_else(|| find(prefix, b"<!ENTITY"));
    match (open, doctype) {
        (Some(o), Some(d)) if d < o => Err(OrkError::Doctype { position: d as u64 }),
        (Some(_), _) => Ok(()),
        (None, Some(d)) => Err(OrkError::Doctype { position: d as u64 }),
        (None, None) => {
            if find(prefix, b"<RockSimDoc").is_some() {
                Err(OrkError::UnsupportedFormat { format: "RockSim" })
            } else if find(prefix, b"<RASAeroDoc").is_some() {
                Err(OrkError::UnsupportedFormat { format: "RASAero" })
            } else {
                Err(OrkError::NotOpenRocket {
                    found: describe(prefix, container),
                })
            }
        }
    }
}

/// A short description of what the bytes look like, for error messages.
fn describe(prefix: &[u8], container: &str) -> String {
    let trimmed = prefix.trim_ascii_start();
    let place = if container == "xml" {
        String::new()
    } else {
        format!(" inside the {container} container")
    };
    if trimmed.starts_with(b"<") {
        let tag: String = trimmed
            .split(|&b| b == b'>')
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .find(|t| !t.starts_with("<?") && !t.starts_with("<!--"))
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        format!("XML without <openrocket> in its first {SNIFF_WINDOW} bytes{place} (first element: {tag}>)")
    } else if prefix
        .iter()
        .take(64)
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        let text: String = String::from_utf8_lossy(&prefix[..prefix.len().min(24)]).into_owned();
        format!("text that is not XML{place}, starting {text:?}")
    } else {
        let hex: Vec<String> = prefix.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("binary data{place}, starting with bytes {}", hex.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(prefix: &[u8], container: &'static str, expected: &str) {
        let got = match classify_prefix(prefix, container) {
            Ok(()) => "ok".to_string(),
            Err(e) => e.code().to_string(),
        };
        assert_eq!(
            got,
            expected,
            "prefix {:?}",
            String::from_utf8_lossy(prefix)
        );
    }

    #[test]
    fn sniffing() {
        check(
            b"<?xml version='1.0'?>\n<openrocket version=\"1.9\">",
            "xml",
            "ok",
        );
        check(b"<openrocket>", "gzip", "ok");
        check(
            b"<?xml version=\"1.0\"?><RockSimDoc>",
            "xml",
            "unsupported_format",
        );
        check(b"<RASAeroDoc>", "xml", "unsupported_format");
        check(
            b"<!DOCTYPE x [<!ENTITY a 'b'>]><openrocket>",
            "xml",
            "doctype",
        );
        check(b"<html><body>", "xml", "not_openrocket");
        check(b"\x00\x01\x02garbage", "xml", "not_openrocket");
        check(b"PK\x03\x04rest", "zip", "nested_archive");
        check(&[0x1f, 0x8b, 8, 0], "zip", "nested_archive");
        check(b"", "gzip", "not_openrocket");
    }

    /// An OpenRocket document of about `len` bytes that compresses poorly (so that its gzip is
    /// over [`INFLATE_ASIDE_MIN`]).
    fn big_xml(len: usize) -> Vec<u8> {
        let mut xml = b"<openrocket version=\"1.9\"><!-- ".to_vec();
        let mut x: u64 = 1;
        while xml.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            xml.push(b'a' + (x % 26) as u8);
        }
        xml.extend_from_slice(b" --></openrocket>");
        xml
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    /// Reads the whole XML stream of `bytes`, or stops after `stop_after` bytes.
    fn read_all(bytes: &[u8], stop_after: Option<usize>) -> Result<Vec<u8>, OrkError> {
        with_xml(bytes, &Limits::default(), |src| {
            let mut out = Vec::new();
            loop {
                let chunk = src
                    .reader
                    .fill_buf()
                    .map_err(|e| stream_error(e, "gzip", &src.meter))?;
                if chunk.is_empty() {
                    return Ok(out);
                }
                let n = chunk.len();
                out.extend_from_slice(chunk);
                src.reader.consume(n);
                if stop_after.is_some_and(|stop| out.len() >= stop) {
                    return Err(OrkError::Empty);
                }
            }
        })
    }

    #[test]
    fn inflating_aside_gives_the_same_bytes_and_its_errors_in_place() {
        let xml = big_xml(400_000);
        let gz = gzip(&xml);
        assert!(gz.len() >= INFLATE_ASIDE_MIN, "{} bytes", gz.len());
        assert_eq!(read_all(&gz, None).unwrap(), xml);

        let truncated = &gz[..gz.len() / 2];
        let e = read_all(truncated, None).unwrap_err();
        assert_eq!(e.code(), "corrupt_stream", "{e}");

        let mut bad_crc = gz.clone();
        let at = bad_crc.len() - 6;
        bad_crc[at] ^= 0xff;
        let e = read_all(&bad_crc, None).unwrap_err();
        assert_eq!(e.code(), "corrupt_stream", "{e}");

        // A reader that stops early: the inflating thread stops too, and nothing hangs.
        let started = std::time::Instant::now();
        let e = read_all(&gzip(&big_xml(20_000_000)), Some(100_000)).unwrap_err();
        assert_eq!(e.code(), "empty");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn describes_binary_and_text() {
        assert!(describe(b"\x00\x01\x02", "xml").contains("00 01 02"));
        assert!(describe(b"hello world", "xml").contains("hello world"));
        assert!(describe(b"<?xml?><svg>", "zip").contains("<svg>"));
    }
}
