//! The streaming XML pass.
//!
//! One pass of quick-xml over the inflated stream, with one reused event buffer. Everything
//! outside `<databranch>` (the rocket, simulation settings, photo studio, …: a few percent of a
//! typical file) is kept as a small element tree for [`super::convert`]. Inside a databranch,
//! which is 90–99% of a file with simulation data, the reader does not tokenise at all: a memchr
//! scan over the raw buffer counts `<datapoint>` rows, keeps the `<event>` elements, and copies
//! out only the first rows when they are asked for, then hands the stream back to quick-xml
//! after `</databranch>`.
//!
//! Limits are checked as the stream goes: nesting depth, element and component counts, and (in
//! the container's stream) the inflated size. DOCTYPE declarations are refused and entity
//! references other than the five predefined ones and character references are errors, so no
//! entity is ever expanded.

use std::io::BufRead;

use memchr::memchr;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::container::stream_error;
use super::{Limits, OrkError, Warning};
use crate::model::{BranchSeries, ComponentKind};
use crate::series::{BranchDecoder, NameEra, SeriesConfig};

/// Longest single tag inside a databranch that the scanner accepts.
const MAX_TAG_BYTES: usize = 64 * 1024;

/// A cheap fingerprint of an element name (its length and three of its bytes), compared
/// before the bytes when looking names up; equal names always have equal fingerprints.
pub(crate) const fn name_hash(name: &str) -> u32 {
    let b = name.as_bytes();
    let n = b.len();
    if n == 0 {
        return 0;
    }
    ((n as u32) << 24) ^ ((b[0] as u32) << 16) ^ ((b[n / 2] as u32) << 8) ^ (b[n - 1] as u32)
}

const NONE: u32 = u32::MAX;

/// The element tree of a document, less the data rows: one arena of elements in document
/// order, one of attributes, one string for every text and attribute value. Building it costs
/// a handful of allocations whatever the size of the document.
#[derive(Debug, Default)]
pub(crate) struct Doc {
    elements: Vec<Element>,
    /// (key start, key end, value start, value end) in `strings`.
    attrs: Vec<(u32, u32, u32, u32)>,
    strings: String,
    /// The element whose text was appended last (texts are contiguous in `strings`).
    text_owner: u32,
}

#[derive(Debug)]
struct Element {
    name: (u32, u32),
    hash: u32,
    position: u64,
    text: (u32, u32),
    attrs: (u32, u32),
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
    child_count: u32,
    rows: Option<Box<BranchRows>>,
}

/// Datapoints of one `<databranch>`.
#[derive(Debug, Default)]
pub(crate) struct BranchRows {
    pub count: u64,
    pub first: Vec<Vec<f64>>,
    /// The downsampled flight, when series were asked for and the branch has the columns.
    pub series: Option<BranchSeries>,
}

/// What the scan of the data branches keeps, and the limits it checks.
struct Scan<'a> {
    want_rows: usize,
    series: Option<SeriesConfig>,
    limits: &'a Limits,
    container: &'static str,
}

/// A borrowed element of a [`Doc`].
#[derive(Clone, Copy)]
pub(crate) struct Node<'a> {
    doc: &'a Doc,
    id: u32,
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}> at byte {}", self.name(), self.position())
    }
}

impl<'a> Node<'a> {
    fn el(&self) -> &'a Element {
        &self.doc.elements[self.id as usize]
    }

    pub fn name(&self) -> &'a str {
        let (s, e) = self.el().name;
        &self.doc.strings[s as usize..e as usize]
    }

    /// The [`name_hash`] of this element's name.
    pub fn hash(&self) -> u32 {
        self.el().hash
    }

    /// Whether this element is named `name`, whose [`name_hash`] is `hash`.
    pub fn is(&self, name: &str, hash: u32) -> bool {
        self.el().hash == hash && self.name() == name
    }

    /// Byte offset of the element's start tag in the XML.
    pub fn position(&self) -> u64 {
        self.el().position
    }

    pub fn attr(&self, key: &str) -> Option<&'a str> {
        let (a, b) = self.el().attrs;
        self.doc.attrs[a as usize..b as usize]
            .iter()
            .find(|&&(ks, ke, _, _)| &self.doc.strings[ks as usize..ke as usize] == key)
            .map(|&(_, _, s, e)| &self.doc.strings[s as usize..e as usize])
    }

    /// Text content, trimmed.
    pub fn text(&self) -> &'a str {
        let (s, e) = self.el().text;
        self.doc.strings[s as usize..e as usize].trim()
    }

    #[cfg(test)]
    pub fn child_count(&self) -> usize {
        self.el().child_count as usize
    }

    pub fn children(&self) -> Children<'a> {
        Children {
            doc: self.doc,
            next: self.el().first_child,
        }
    }

    pub fn children_named(&self, name: &'a str) -> impl Iterator<Item = Node<'a>> + 'a {
        self.children().filter(move |c| c.name() == name)
    }

    #[cfg(test)]
    pub fn child(&self, name: &str) -> Option<Node<'a>> {
        self.children().find(|c| c.name() == name)
    }

    /// For `<databranch>`: what the scanner found.
    pub fn rows(&self) -> Option<&'a BranchRows> {
        self.el().rows.as_deref()
    }
}

/// Iterator over an element's children, in document order.
pub(crate) struct Children<'a> {
    doc: &'a Doc,
    next: u32,
}

impl<'a> Iterator for Children<'a> {
    type Item = Node<'a>;
    fn next(&mut self) -> Option<Node<'a>> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.doc.elements[id as usize].next_sibling;
        Some(Node { doc: self.doc, id })
    }
}

impl Doc {
    /// The root element (the document has one once [`read_tree`] succeeded).
    pub fn root(&self) -> Node<'_> {
        Node { doc: self, id: 0 }
    }

    fn add(
        &mut self,
        e: &BytesStart<'_>,
        position: u64,
        parent: Option<u32>,
    ) -> Result<u32, OrkError> {
        let qname = e.name();
        let name: &str = qname.as_ref();
        let a0 = self.attrs.len() as u32;
        for attr in e.attributes() {
            let attr = attr.map_err(|err| OrkError::Xml {
                position,
                reason: format!("bad attribute in <{name}>: {err}"),
            })?;
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| OrkError::Xml {
                    position,
                    reason: format!("bad attribute value in <{name}>: {err}"),
                })?;
            let key: &str = attr.key.as_ref();
            let ks = self.strings.len() as u32;
            self.strings.push_str(key);
            let vs = self.strings.len() as u32;
            self.strings.push_str(&value);
            self.attrs.push((ks, vs, vs, self.strings.len() as u32));
        }
        let id = self.elements.len() as u32;
        let ns = self.strings.len() as u32;
        self.strings.push_str(name);
        let end = self.strings.len() as u32;
        self.elements.push(Element {
            name: (ns, end),
            hash: name_hash(name),
            position,
            text: (end, end),
            attrs: (a0, self.attrs.len() as u32),
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            child_count: 0,
            rows: None,
        });
        if let Some(p) = parent {
            let parent = &mut self.elements[p as usize];
            let prev = parent.last_child;
            parent.last_child = id;
            parent.child_count += 1;
            if prev == NONE {
                parent.first_child = id;
            } else {
                self.elements[prev as usize].next_sibling = id;
            }
        }
        Ok(id)
    }

    /// Appends text to an element, keeping each element's text contiguous.
    fn push_text(&mut self, id: u32, text: &str) {
        let (s, e) = self.elements[id as usize].text;
        if s == e {
            let start = self.strings.len() as u32;
            self.strings.push_str(text);
            self.elements[id as usize].text = (start, self.strings.len() as u32);
        } else if self.text_owner == id && e as usize == self.strings.len() {
            self.strings.push_str(text);
            self.elements[id as usize].text.1 = self.strings.len() as u32;
        } else {
            // Mixed content interleaved with other text: move this element's text to the end.
            let old = self.strings[s as usize..e as usize].to_string();
            let start = self.strings.len() as u32;
            self.strings.push_str(&old);
            self.strings.push_str(text);
            self.elements[id as usize].text = (start, self.strings.len() as u32);
        }
        self.text_owner = id;
    }

    fn root_name(&self, id: u32) -> String {
        Node { doc: self, id }.name().to_string()
    }

    fn text_is_empty(&self, id: u32) -> bool {
        let (s, e) = self.elements[id as usize].text;
        s == e
    }
}

const BRANCH_HASH: u32 = name_hash("databranch");
const SUBS_HASH: u32 = name_hash("subcomponents");

/// Reads the whole document into a [`Doc`] (less the data rows).
pub(crate) fn read_tree(
    src: &mut dyn BufRead,
    limits: &Limits,
    datapoint_rows: usize,
    series: Option<SeriesConfig>,
    container: &'static str,
    warnings: &mut Vec<Warning>,
) -> Result<Doc, OrkError> {
    let scan = Scan {
        want_rows: datapoint_rows,
        series,
        limits,
        container,
    };
    let mut reader = Reader::from_reader(src);
    {
        let config = reader.config_mut();
        config.check_end_names = false; // checked here, since the scanner skips end tags
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut doc = Doc {
        elements: Vec::with_capacity(256),
        attrs: Vec::with_capacity(256),
        strings: String::with_capacity(8192),
        text_owner: NONE,
    };
    let mut buf = Vec::with_capacity(4096);
    let mut stack: Vec<u32> = Vec::with_capacity(32);
    let mut done = false;
    let mut components = 0usize;

    loop {
        buf.clear();
        let position = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            // quick-xml reports end of input inside a tag as a syntax error.
            Err(quick_xml::Error::Syntax(_)) if !stack.is_empty() && at_eof(&mut reader) => {
                let top = stack.last().copied().unwrap_or(0);
                return Err(OrkError::Truncated {
                    element: doc.root_name(top),
                });
            }
            Err(e) => return Err(xml_error(e, reader.error_position(), container)),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                if done {
                    return Err(OrkError::Xml {
                        position,
                        reason: "content after the root element".into(),
                    });
                }
                let depth = stack.len() as u32 + 1;
                if depth > limits.max_depth {
                    return Err(OrkError::TooDeep {
                        limit: limits.max_depth,
                        position,
                    });
                }
                if doc.elements.len() >= limits.max_elements {
                    return Err(OrkError::TooManyElements {
                        limit: limits.max_elements,
                    });
                }
                let parent = stack.last().copied();
                let id = doc.add(e, position, parent)?;
                let node = Node { doc: &doc, id };
                let is_branch = node.is("databranch", BRANCH_HASH);
                if parent.is_some_and(|p| Node { doc: &doc, id: p }.is("subcomponents", SUBS_HASH))
                    && ComponentKind::from_tag(node.name()).is_some()
                {
                    components += 1;
                    if components > limits.max_components {
                        return Err(OrkError::TooManyComponents {
                            limit: limits.max_components,
                        });
                    }
                }
                if is_empty {
                    done = parent.is_none();
                } else if is_branch {
                    scan_branch(&mut reader, &mut doc, id, &scan, warnings)?;
                } else {
                    stack.push(id);
                }
            }
            Event::End(ref e) => {
                let qname = e.name();
                let name: &str = qname.as_ref();
                let Some(id) = stack.pop() else {
                    return Err(OrkError::Xml {
                        position,
                        reason: format!("unexpected </{name}>"),
                    });
                };
                let open = Node { doc: &doc, id }.name();
                if open != name {
                    return Err(OrkError::Xml {
                        position,
                        reason: format!("</{name}> closes <{open}>"),
                    });
                }
                done = stack.is_empty();
            }
            Event::Text(t) => {
                if let Some(&top) = stack.last() {
                    let raw: &str = t.as_ref();
                    if !(doc.text_is_empty(top) && is_blank(raw)) {
                        if raw.contains('\r') {
                            doc.push_text(top, &t.xml10_content());
                        } else {
                            doc.push_text(top, raw);
                        }
                    }
                } else if !is_blank(t.as_ref()) {
                    return Err(OrkError::Xml {
                        position,
                        reason: "text outside the root element".into(),
                    });
                }
            }
            Event::CData(t) => {
                if let Some(&top) = stack.last() {
                    doc.push_text(top, &t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let ch = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    predefined_entity(r.as_ref())
                };
                let Some(ch) = ch else {
                    return Err(OrkError::UnknownEntity {
                        name: r.as_ref().chars().take(64).collect(),
                        position,
                    });
                };
                if let Some(&top) = stack.last() {
                    let mut tmp = [0u8; 4];
                    doc.push_text(top, ch.encode_utf8(&mut tmp));
                }
            }
            Event::DocType(_) => return Err(OrkError::Doctype { position }),
            Event::Eof => {
                if let Some(&top) = stack.last() {
                    return Err(OrkError::Truncated {
                        element: doc.root_name(top),
                    });
                }
                break;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if doc.elements.is_empty() {
        return Err(OrkError::Xml {
            position: reader.buffer_position(),
            reason: "no root element".into(),
        });
    }
    Ok(doc)
}

fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_whitespace())
}

/// Whether the stream has no more bytes.
fn at_eof<R: BufRead>(reader: &mut Reader<R>) -> bool {
    reader.stream().fill_buf().is_ok_and(|b| b.is_empty())
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

fn xml_error(e: quick_xml::Error, position: u64, container: &'static str) -> OrkError {
    match e {
        quick_xml::Error::Io(io) => stream_error(&io, container),
        quick_xml::Error::Escape(esc) => OrkError::Xml {
            position,
            reason: esc.to_string(),
        },
        other => OrkError::Xml {
            position,
            reason: other.to_string(),
        },
    }
}

/// What a raw tag inside a databranch is.
enum Tag {
    DatapointOpen,
    DatapointClose,
    Event,
    BranchClose,
    Other,
}

fn classify(tag: &[u8]) -> Tag {
    if tag.starts_with(b"<datapoint") {
        Tag::DatapointOpen
    } else if tag.starts_with(b"</datapoint") {
        Tag::DatapointClose
    } else if tag.starts_with(b"<event") {
        Tag::Event
    } else if tag.starts_with(b"</databranch") {
        Tag::BranchClose
    } else {
        Tag::Other
    }
}

/// Scans a databranch's content straight off the buffered stream, up to and including
/// `</databranch>`. Rows are counted; the first ones are kept when asked for, and every row
/// goes through the branch's series decoder when there is one.
fn scan_branch<R: BufRead>(
    reader: &mut Reader<R>,
    doc: &mut Doc,
    branch: u32,
    scan: &Scan<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<(), OrkError> {
    let mut rows = BranchRows::default();
    let mut decoder = scan.series.and_then(|config| {
        let node = Node { doc, id: branch };
        let era = doc.root().attr("creator").and_then(NameEra::of_creator);
        BranchDecoder::new(
            config,
            node.attr("name").map(str::to_string),
            node.attr("types").unwrap_or_default().split(','),
            era,
        )
    });
    let mut tag: Vec<u8> = Vec::new();
    let mut in_tag = false;
    // Collecting a row's text (it spans chunks, or holds a tag), and whether it is one of the
    // first rows asked for.
    let mut in_row = false;
    let mut keep_first = false;
    let mut row_text: Vec<u8> = Vec::new();
    let mut bad_rows = 0u64;
    let mut stream = reader.stream();
    // One finished row: kept as text-parsed numbers when it is one of the first rows asked
    // for, and decoded into the series.
    fn row_done(
        text: &[u8],
        first: bool,
        rows: &mut BranchRows,
        decoder: &mut Option<BranchDecoder>,
        bad_rows: &mut u64,
    ) {
        if first {
            match parse_row(text) {
                Some(r) => rows.first.push(r),
                None => *bad_rows += 1,
            }
        }
        if let Some(d) = decoder.as_mut() {
            d.row(text);
        }
    }
    loop {
        let offset = stream.offset();
        let chunk = match stream.fill_buf() {
            Ok(c) => c,
            Err(e) => return Err(stream_error(&e, scan.container)),
        };
        if chunk.is_empty() {
            return Err(OrkError::Truncated {
                element: "databranch".into(),
            });
        }
        let n = chunk.len();
        let mut i = 0;
        let mut done = false;
        while i < n {
            if in_tag {
                match memchr(b'>', &chunk[i..]) {
                    Some(j) => {
                        tag.extend_from_slice(&chunk[i..=i + j]);
                        i += j + 1;
                        in_tag = false;
                        match classify(&tag) {
                            Tag::DatapointOpen => {
                                rows.count += 1;
                                keep_first = rows.first.len() < scan.want_rows;
                                if keep_first || decoder.is_some() {
                                    in_row = true;
                                    row_text.clear();
                                }
                            }
                            Tag::DatapointClose => {
                                if in_row {
                                    in_row = false;
                                    row_done(
                                        &row_text,
                                        keep_first,
                                        &mut rows,
                                        &mut decoder,
                                        &mut bad_rows,
                                    );
                                }
                            }
                            Tag::Event => {
                                if doc.elements.len() >= scan.limits.max_elements {
                                    return Err(OrkError::TooManyElements {
                                        limit: scan.limits.max_elements,
                                    });
                                }
                                let position = offset + i as u64 - tag.len() as u64;
                                let id = raw_element(doc, branch, &tag, position)?;
                                if let Some(d) = decoder.as_mut() {
                                    let event = Node { doc, id };
                                    let time = event
                                        .attr("time")
                                        .and_then(|t| crate::series::number::parse(t.as_bytes()))
                                        .unwrap_or(f64::NAN);
                                    d.event(event.attr("type").unwrap_or_default(), time);
                                }
                            }
                            Tag::BranchClose => {
                                done = true;
                                break;
                            }
                            Tag::Other => {}
                        }
                        tag.clear();
                    }
                    None => {
                        tag.extend_from_slice(&chunk[i..]);
                        i = n;
                        if tag.len() > MAX_TAG_BYTES {
                            return Err(OrkError::Xml {
                                position: offset,
                                reason: format!(
                                    "a tag inside <databranch> is longer than {MAX_TAG_BYTES} bytes"
                                ),
                            });
                        }
                    }
                }
            } else {
                match memchr(b'<', &chunk[i..]) {
                    Some(j) => {
                        if in_row {
                            row_text.extend_from_slice(&chunk[i..i + j]);
                        }
                        let at = i + j;
                        // Fast path for the rows themselves, when the tag is in this chunk:
                        // no copy, no second search. Whitespace after `</datapoint>` is
                        // stepped over byte by byte (it is a newline and a few spaces).
                        let rest = &chunk[at..];
                        if !in_row && rest.starts_with(b"<datapoint>") {
                            rows.count += 1;
                            let body = at + b"<datapoint>".len();
                            let first = rows.first.len() < scan.want_rows;
                            if !first && decoder.is_none() {
                                i = body;
                                continue;
                            }
                            // The whole row in this chunk: decoded where it lies.
                            if let Some(k) = memchr(b'<', &chunk[body..]) {
                                let end = body + k;
                                if chunk[end..].starts_with(b"</datapoint>") {
                                    row_done(
                                        &chunk[body..end],
                                        first,
                                        &mut rows,
                                        &mut decoder,
                                        &mut bad_rows,
                                    );
                                    i = end + b"</datapoint>".len();
                                    while i < n && chunk[i].is_ascii_whitespace() {
                                        i += 1;
                                    }
                                    continue;
                                }
                            }
                            in_row = true;
                            keep_first = first;
                            row_text.clear();
                            i = body;
                            continue;
                        }
                        if !in_row && rest.starts_with(b"</datapoint>") {
                            i = at + b"</datapoint>".len();
                            while i < n && chunk[i].is_ascii_whitespace() {
                                i += 1;
                            }
                            continue;
                        }
                        i = at + 1;
                        in_tag = true;
                        tag.push(b'<');
                    }
                    None => {
                        if in_row {
                            row_text.extend_from_slice(&chunk[i..]);
                            if row_text.len() as u64 > scan.limits.max_text_bytes {
                                return Err(OrkError::TextTooLong {
                                    limit: scan.limits.max_text_bytes,
                                });
                            }
                        }
                        i = n;
                    }
                }
            }
        }
        stream.consume(i);
        if done {
            break;
        }
    }
    let position = doc.elements[branch as usize].position;
    if bad_rows > 0 {
        warnings.push(Warning {
            position,
            message: format!("{bad_rows} datapoint row(s) with non-numeric values were left out"),
        });
    }
    if let Some(d) = decoder {
        let (series, notes) = d.finish();
        warnings.extend(
            notes
                .into_iter()
                .map(|message| Warning { position, message }),
        );
        rows.series = Some(series);
    }
    doc.elements[branch as usize].rows = Some(Box::new(rows));
    Ok(())
}

/// Parses a comma-separated row of numbers (`NaN` and `Inf` allowed, as OpenRocket writes).
fn parse_row(text: &[u8]) -> Option<Vec<f64>> {
    let text = std::str::from_utf8(text).ok()?;
    text.trim()
        .split(',')
        .map(|v| crate::series::number::parse_text(v.trim()))
        .collect()
}

/// Adds a raw `<event …/>` tag to the branch as a child element (attributes only).
fn raw_element(doc: &mut Doc, branch: u32, tag: &[u8], position: u64) -> Result<u32, OrkError> {
    let bad = |reason: String| OrkError::Xml { position, reason };
    let text = std::str::from_utf8(tag).map_err(|e| bad(format!("invalid UTF-8 in a tag: {e}")))?;
    let inner = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .map(|t| t.strip_suffix('/').unwrap_or(t))
        .ok_or_else(|| bad("malformed tag".into()))?;
    let name_len = inner
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(inner.len());
    let start = BytesStart::from_content(inner, name_len);
    doc.add(&start, position, Some(branch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(xml: &str, rows: usize) -> Result<Doc, OrkError> {
        let mut src: &[u8] = xml.as_bytes();
        read_tree(
            &mut src,
            &Limits::default(),
            rows,
            None,
            "xml",
            &mut Vec::new(),
        )
    }

    #[test]
    fn name_hash_is_a_fingerprint() {
        assert_eq!(name_hash(""), 0);
        assert_eq!(
            name_hash("ab"),
            (2 << 24) ^ (u32::from(b'a') << 16) ^ (u32::from(b'b') << 8) ^ u32::from(b'b')
        );
        assert_ne!(name_hash("length"), name_hash("radius"));
    }

    #[test]
    fn databranch_is_scanned() {
        let xml = r#"<r><databranch name="B" types="A,B"><event time="1" type="launch"/>
            <datapoint>1,2</datapoint><datapoint>3,NaN</datapoint><datapoint>5,6</datapoint>
            </databranch><after x="1"/></r>"#;
        let doc = tree(xml, 2).unwrap();
        let root = doc.root();
        let b = root.child("databranch").unwrap();
        let rows = b.rows().unwrap();
        assert_eq!(rows.count, 3);
        assert_eq!(rows.first.len(), 2);
        assert_eq!(rows.first[0], vec![1.0, 2.0]);
        assert!(rows.first[1][1].is_nan());
        assert_eq!(b.child_count(), 1);
        assert_eq!(b.child("event").unwrap().attr("type"), Some("launch"));
        assert_eq!(root.child("after").unwrap().attr("x"), Some("1"));
    }

    #[test]
    fn entities_and_text() {
        let doc = tree("<r><n>A &amp; B &#65;</n><m>x<i/>y</m></r>", 0).unwrap();
        assert_eq!(doc.root().child("n").unwrap().text(), "A & B A");
        assert_eq!(doc.root().child("m").unwrap().text(), "xy");
        let err = tree("<r><n>&bomb;</n></r>", 0).unwrap_err();
        assert_eq!(err.code(), "unknown_entity");
        let err = tree("<!DOCTYPE r><r/>", 0).unwrap_err();
        assert_eq!(err.code(), "doctype");
    }

    #[test]
    fn structure_errors() {
        assert_eq!(
            tree("<r><a></b></r>", 0).unwrap_err().code(),
            "malformed_xml"
        );
        assert_eq!(tree("<r><a>", 0).unwrap_err().code(), "truncated");
        assert_eq!(
            tree("<r><databranch><datapoint>1", 0).unwrap_err().code(),
            "truncated"
        );
        let deep = "<a>".repeat(100);
        assert_eq!(tree(&deep, 0).unwrap_err().code(), "too_deep");
    }
}
