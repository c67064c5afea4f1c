//! The container: sniff the magic bytes, open zip / gzip / plain XML, and hand the XML on as a
//! stream that counts (and caps) the inflated bytes.
//!
//! Zip archives are opened through the central directory, never by streaming local headers:
//! OpenRocket writes data-descriptor entries whose local headers hold size 0.

use std::io::{self, BufRead, Cursor, Read};

use super::{Limits, OrkError};
use crate::model::{ArchiveEntry, ContainerInfo, ContainerKind};

/// How far into the XML we look for `<openrocket` (OpenRocket itself looks at 300 bytes; we
/// allow for a long XML declaration or a leading comment).
const SNIFF_WINDOW: usize = 2048;

/// Bytes per window handed to the XML reader (a chunk of inflated XML, or a slice of plain XML).
const CHUNK: usize = 64 * 1024;

/// Size of the inline buffer for small compressed inputs: about the inflated size, within
/// 4–64 KiB (the buffer is initialised once per file).
fn inline_capacity(input_len: usize) -> usize {
    input_len.saturating_mul(8).clamp(4096, CHUNK)
}

/// A limit of the inflated XML that the stream hit. Travels inside an `io::Error` (through the
/// decompressor's thread and quick-xml) and becomes its typed [`OrkError`] in [`stream_error`].
#[derive(Debug, thiserror::Error)]
enum Overflow {
    #[error("inflated size passed the limit of {0} bytes")]
    Size(u64),
    #[error("more than {0} bytes without markup")]
    Run(u64),
}

/// Counts the XML bytes as they pass, and checks the inflated size and the longest run of
/// bytes without markup (what the XML reader would have to buffer at once).
#[derive(Debug, Clone)]
struct Gauge {
    bytes: u64,
    limit: u64,
    /// Bytes since the last `<`.
    run: u64,
    max_run: u64,
}

impl Gauge {
    fn new(limits: &Limits) -> Gauge {
        Gauge {
            bytes: 0,
            limit: limits.max_xml_bytes,
            run: 0,
            max_run: limits.max_text_bytes,
        }
    }

    fn pass(&mut self, window: &[u8]) -> io::Result<()> {
        let n = window.len();
        self.bytes += n as u64;
        if self.bytes > self.limit {
            return Err(io::Error::other(Overflow::Size(self.limit)));
        }
        self.run = match memchr::memrchr(b'<', window) {
            Some(at) => (n - at - 1) as u64,
            None => self.run + n as u64,
        };
        if self.run > self.max_run {
            return Err(io::Error::other(Overflow::Run(self.max_run)));
        }
        Ok(())
    }
}

/// Reads `source` into `buf` until it is full or the source ends. Bytes read before an error
/// are returned with it.
fn fill(source: &mut dyn Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

/// The XML stream the parser reads: windows of bytes, handed out without copying.
///
/// * plain XML: [`CHUNK`]-sized windows of the input itself;
/// * small compressed inputs: inflated here into one reused buffer, filled to the brim each time;
/// * larger ones: chunks inflated on a second thread ([`inflate_aside`]), read where they lie and
///   handed back for reuse.
///
/// Every window is full except the last, so the first one holds the document's start for
/// sniffing. The bytes are measured against the limits as they pass ([`Gauge`]).
pub(crate) struct XmlStream<'a> {
    source: Source<'a>,
    /// The current window is `buf[pos..end]` (or `input[pos..end]` for plain XML).
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// An error that came after the bytes of the current window.
    pending: Option<io::Error>,
    /// XML bytes handed out so far.
    total: u64,
}

enum Source<'a> {
    Plain {
        input: &'a [u8],
        gauge: Gauge,
    },
    Inline {
        reader: Box<dyn Read + 'a>,
        gauge: Gauge,
    },
    Aside(ChannelEnd),
}

impl<'a> XmlStream<'a> {
    fn new(source: Source<'a>) -> XmlStream<'a> {
        XmlStream {
            source,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            pending: None,
            total: 0,
        }
    }

    fn inline(reader: impl Read + 'a, limits: &Limits, input_len: usize) -> XmlStream<'a> {
        let mut s = XmlStream::new(Source::Inline {
            reader: Box::new(reader),
            gauge: Gauge::new(limits),
        });
        s.buf = vec![0; inline_capacity(input_len)];
        s
    }

    /// XML bytes read so far (all of them once the reader reached the end).
    pub fn bytes_read(&self) -> u64 {
        self.total
    }

    /// Moves to the next window; an empty one is the end.
    fn refill(&mut self) -> io::Result<()> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let (start, end) = match &mut self.source {
            Source::Plain { input, gauge } => {
                let start = self.end;
                let end = input.len().min(start + CHUNK);
                gauge.pass(&input[start..end])?;
                (start, end)
            }
            Source::Inline { reader, gauge } => {
                let (n, error) = fill(reader.as_mut(), &mut self.buf);
                self.pending = error;
                if n == 0 {
                    if let Some(e) = self.pending.take() {
                        return Err(e);
                    }
                }
                gauge.pass(&self.buf[..n])?;
                (0, n)
            }
            Source::Aside(channel) => (0, channel.next(&mut self.buf)?),
        };
        self.total += (end - start) as u64;
        self.pos = start;
        self.end = end;
        Ok(())
    }
}

impl Read for XmlStream<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let window = self.fill_buf()?;
        let n = window.len().min(out.len());
        out[..n].copy_from_slice(&window[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for XmlStream<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end {
            self.refill()?;
        }
        Ok(match &self.source {
            Source::Plain { input, .. } => &input[self.pos..self.end],
            _ => &self.buf[self.pos..self.end],
        })
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }
}

/// What the parser gets: the XML stream and what is known of the container.
pub(crate) struct XmlSource<'s, 'a> {
    pub reader: &'s mut XmlStream<'a>,
    pub info: ContainerInfo,
}

/// Sniffs `bytes`, opens the container and calls `parse` with the XML stream.
pub(crate) fn with_xml<T>(
    bytes: &[u8],
    limits: &Limits,
    parse: impl FnOnce(XmlSource<'_, '_>) -> Result<T, OrkError>,
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
            return inflate_aside(inflate, limits, |stream| {
                read_stream(stream, "zip", info, parse)
            });
        }
        read_stream(
            XmlStream::inline(entry, limits, bytes.len()),
            "zip",
            info,
            parse,
        )
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        let info = info(ContainerKind::Gzip, None, Vec::new());
        if bytes.len() >= INFLATE_ASIDE_MIN {
            let inflate =
                move |pump: &mut Pump| pump.run(&mut flate2::read::MultiGzDecoder::new(bytes));
            return inflate_aside(inflate, limits, |stream| {
                read_stream(stream, "gzip", info, parse)
            });
        }
        let gz = flate2::read::MultiGzDecoder::new(bytes);
        read_stream(
            XmlStream::inline(gz, limits, bytes.len()),
            "gzip",
            info,
            parse,
        )
    } else {
        let info = info(ContainerKind::Xml, None, Vec::new());
        let stream = XmlStream::new(Source::Plain {
            input: bytes,
            gauge: Gauge::new(limits),
        });
        read_stream(stream, "xml", info, parse)
    }
}

/// Sniffs the start of the XML stream, then hands it to `parse`.
fn read_stream<T>(
    mut stream: XmlStream<'_>,
    container: &'static str,
    info: ContainerInfo,
    parse: impl FnOnce(XmlSource<'_, '_>) -> Result<T, OrkError>,
) -> Result<T, OrkError> {
    let first = stream.fill_buf().map_err(|e| stream_error(&e, container))?;
    classify_prefix(&first[..first.len().min(SNIFF_WINDOW)], container)?;
    parse(XmlSource {
        reader: &mut stream,
        info,
    })
}

/// Compressed inputs from this size on are inflated on a second thread while the XML is read
/// (below it, starting a thread costs more than it saves).
const INFLATE_ASIDE_MIN: usize = 32 * 1024;

/// Chunks in flight between the two threads.
const ASIDE_DEPTH: usize = 2;

/// Buffers of the two threads: those in flight, the one being filled and the one being read.
/// They are made as needed, sized as the chunks grow, and never more: the memory this adds is
/// at most 256 KiB, however long the stream.
const ASIDE_BUFFERS: usize = ASIDE_DEPTH + 2;

/// Inflates on a second thread: `inflate` opens the decompressor there and hands it to the
/// [`Pump`], and `read` gets the stream of what it produces, in order, at most [`ASIDE_DEPTH`]
/// chunks ahead. Errors of the decompressor (a corrupt stream, a bad CRC) and the limits'
/// reach the reader as I/O errors in their place; when the reader stops early, the thread stops
/// at its next chunk.
fn inflate_aside<'b, T>(
    inflate: impl FnOnce(&mut Pump) -> io::Result<()> + Send + 'b,
    limits: &Limits,
    read: impl FnOnce(XmlStream<'_>) -> T,
) -> T {
    use std::sync::mpsc;
    let gauge = Gauge::new(limits);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel(ASIDE_DEPTH);
        let (back_tx, back_rx) = mpsc::channel();
        scope.spawn(move || {
            let mut pump = Pump {
                tx,
                back: back_rx,
                made: 0,
                gauge,
            };
            let done =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inflate(&mut pump)));
            let failure = match done {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e,
                Err(_) => io::Error::other("the decompressor failed"),
            };
            let _ = pump.tx.send(Err(failure));
        });
        read(XmlStream::new(Source::Aside(ChannelEnd {
            rx,
            back: back_tx,
        })))
    })
}

/// A chunk of inflated XML: `buf[..len]`.
struct Chunk {
    buf: Vec<u8>,
    len: usize,
}

/// The sending end of [`inflate_aside`], on the inflating thread.
struct Pump {
    tx: std::sync::mpsc::SyncSender<io::Result<Chunk>>,
    back: std::sync::mpsc::Receiver<Vec<u8>>,
    /// Buffers made so far.
    made: usize,
    gauge: Gauge,
}

impl Pump {
    /// Reads `source` to its end in chunks and sends them; stops early, without an error, when
    /// the reader has gone.
    fn run(&mut self, source: &mut dyn Read) -> io::Result<()> {
        // Small chunks first, so that the reader starts early, then full ones.
        let mut size = CHUNK / 8;
        loop {
            // A buffer handed back, else a new one (at most ASIDE_BUFFERS of them), else wait
            // for one to come back.
            let mut buf = match self.back.try_recv() {
                Ok(buf) => buf,
                Err(_) if self.made < ASIDE_BUFFERS => {
                    self.made += 1;
                    Vec::new()
                }
                Err(_) => match self.back.recv() {
                    Ok(buf) => buf,
                    // The reader has gone.
                    Err(_) => return Ok(()),
                },
            };
            if buf.len() < size {
                buf.resize(size, 0);
            }
            let (len, error) = fill(source, &mut buf[..size]);
            let error = error.or_else(|| self.gauge.pass(&buf[..len]).err());
            let end = len < size;
            // What came before an error first, then the error.
            if len > 0 && self.tx.send(Ok(Chunk { buf, len })).is_err() {
                return Ok(());
            }
            if let Some(e) = error {
                return Err(e);
            }
            if end {
                return Ok(());
            }
            size = (size * 2).min(CHUNK);
        }
    }
}

/// The reading end of [`inflate_aside`].
struct ChannelEnd {
    rx: std::sync::mpsc::Receiver<io::Result<Chunk>>,
    back: std::sync::mpsc::Sender<Vec<u8>>,
}

impl ChannelEnd {
    /// Swaps the next chunk into `current` (handing the old buffer back) and returns its
    /// length; 0 at the end.
    fn next(&mut self, current: &mut Vec<u8>) -> io::Result<usize> {
        match self.rx.recv() {
            Ok(Ok(chunk)) => {
                let used = std::mem::replace(current, chunk.buf);
                if !used.is_empty() {
                    // The thread may have finished.
                    let _ = self.back.send(used);
                }
                Ok(chunk.len)
            }
            Ok(Err(e)) => Err(e),
            // The thread is done: the end of the stream.
            Err(_) => Ok(0),
        }
    }
}

/// Maps an I/O error while reading the XML stream to a typed error.
pub(crate) fn stream_error(e: &io::Error, container: &'static str) -> OrkError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Overflow>())
    {
        Some(Overflow::Size(limit)) => return OrkError::InflatedTooLarge { limit: *limit },
        Some(Overflow::Run(limit)) => return OrkError::TextTooLong { limit: *limit },
        None => {}
    }
    match container {
        "xml" => OrkError::Io(io::Error::new(e.kind(), e.to_string())),
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
                    .map_err(|e| stream_error(&e, "gzip"))?;
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
