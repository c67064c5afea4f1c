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
//! the container's meter) the inflated size. DOCTYPE declarations are refused and entity
//! references other than the five predefined ones and character references are errors, so no
//! entity is ever expanded.

use std::borrow::Cow;
use std::io::BufRead;

use memchr::{memchr, memmem};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::container::{stream_error, Meter};
use super::{Limits, OrkError, Warning};
use crate::model::ComponentKind;

/// Longest single tag inside a databranch that the scanner accepts.
const MAX_TAG_BYTES: usize = 64 * 1024;

/// Element names OpenRocket writes, sorted; names found here are not allocated per element.
static KNOWN_NAMES: &[&str] = &[
    "advance",
    "aftradius",
    "aftshouldercapped",
    "aftshoulderlength",
    "aftshoulderradius",
    "aftshoulderthickness",
    "ambiance",
    "ambient",
    "angleoffset",
    "appearance",
    "atmosphere",
    "axialoffset",
    "baseheight",
    "basepressure",
    "basetemperature",
    "bodytube",
    "boosterset",
    "bulkhead",
    "calculator",
    "cant",
    "cd",
    "center",
    "centeringring",
    "clusterconfiguration",
    "clusterrotation",
    "clusterscale",
    "color",
    "comment",
    "conditions",
    "configid",
    "cordlength",
    "crosssection",
    "customreference",
    "databranch",
    "datatypes",
    "decal",
    "delay",
    "deployaltitude",
    "deploydelay",
    "deployevent",
    "deploymentconfiguration",
    "description",
    "designation",
    "designer",
    "designtype",
    "diameter",
    "diffuse",
    "digest",
    "direction",
    "docmaterials",
    "docprefs",
    "edgessameasinside",
    "ellipticalfinset",
    "engineblock",
    "entry",
    "event",
    "exhaustScale",
    "extension",
    "filletmaterial",
    "filletradius",
    "fincount",
    "finish",
    "finpoints",
    "flame",
    "flameAspectRatio",
    "flameColor",
    "flangeheight",
    "flightdata",
    "foreradius",
    "foreshouldercapped",
    "foreshoulderlength",
    "foreshoulderradius",
    "foreshoulderthickness",
    "fov",
    "freeformfinset",
    "geodeticmethod",
    "height",
    "id",
    "ignitionconfiguration",
    "ignitiondelay",
    "ignitionevent",
    "innerdiameter",
    "innerradius",
    "innertube",
    "insideappearance",
    "insidesameasoutside",
    "instancecount",
    "instanceseparation",
    "isflipped",
    "launchaltitude",
    "launchintowind",
    "launchlatitude",
    "launchlongitude",
    "launchlug",
    "launchrodangle",
    "launchroddirection",
    "launchrodlength",
    "length",
    "lightAlt",
    "lightAz",
    "linecount",
    "linelength",
    "linematerial",
    "linestyle",
    "listener",
    "manufacturer",
    "mass",
    "masscomponent",
    "masscomponenttype",
    "material",
    "maxtime",
    "motionBlurred",
    "motor",
    "motorconfiguration",
    "motormount",
    "name",
    "nosecone",
    "offset",
    "openrocket",
    "outerdiameter",
    "outerradius",
    "overhang",
    "overridecd",
    "overridecg",
    "overridemass",
    "overridesubcomponents",
    "overridesubcomponentscd",
    "overridesubcomponentscg",
    "overridesubcomponentsmass",
    "packedlength",
    "packedradius",
    "paint",
    "parachute",
    "parallelstage",
    "parameter",
    "photostudio",
    "pitch",
    "podset",
    "point",
    "position",
    "preset",
    "priority",
    "radialdirection",
    "radialoffset",
    "radialposition",
    "radius",
    "radiusoffset",
    "railbutton",
    "referencetype",
    "revision",
    "rocket",
    "roll",
    "rootchord",
    "rotation",
    "scale",
    "screwheight",
    "separationaltitude",
    "separationconfiguration",
    "separationdelay",
    "separationevent",
    "shape",
    "shapeclipped",
    "shapeparameter",
    "shine",
    "shockcord",
    "simulation",
    "simulations",
    "simulator",
    "sky",
    "skyColor",
    "smoke",
    "smokeColor",
    "smokeOpacity",
    "source",
    "sparkConcentration",
    "sparkWeight",
    "sparks",
    "specular",
    "speed",
    "stage",
    "standarddeviation",
    "streamer",
    "striplength",
    "stripwidth",
    "subcomponents",
    "sunlight",
    "sweeplength",
    "tabheight",
    "tablength",
    "tabposition",
    "thickness",
    "timestep",
    "tipchord",
    "transition",
    "trapezoidfinset",
    "tubecoupler",
    "tubefinset",
    "type",
    "viewAlt",
    "viewAz",
    "viewDistance",
    "warning",
    "wind",
    "windaverage",
    "winddirection",
    "windlevel",
    "windmodeltype",
    "windturbulence",
    "yaw",
];

fn intern(name: &str) -> Cow<'static, str> {
    match KNOWN_NAMES.binary_search(&name) {
        Ok(i) => Cow::Borrowed(KNOWN_NAMES[i]),
        Err(_) => Cow::Owned(name.to_string()),
    }
}

/// One XML element outside the data rows.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub name: Cow<'static, str>,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
    /// Byte offset of the element's start tag in the XML.
    pub position: u64,
    /// For `<databranch>`: what the scanner found.
    pub rows: Option<Box<BranchRows>>,
}

/// Datapoints of one `<databranch>`.
#[derive(Debug, Default)]
pub(crate) struct BranchRows {
    pub count: u64,
    pub first: Vec<Vec<f64>>,
}

impl Node {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[cfg(test)]
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Text content, trimmed.
    pub fn text(&self) -> &str {
        self.text.trim()
    }
}

/// Reads the whole document into a [`Node`] tree (less the data rows).
pub(crate) fn read_tree(
    src: &mut dyn BufRead,
    limits: &Limits,
    datapoint_rows: usize,
    container: &'static str,
    meter: &Meter,
    warnings: &mut Vec<Warning>,
) -> Result<Node, OrkError> {
    let mut reader = Reader::from_reader(src);
    {
        let config = reader.config_mut();
        config.check_end_names = false; // checked here, since the scanner skips end tags
        config.expand_empty_elements = false;
        config.trim_text(false);
    }
    let mut buf = Vec::with_capacity(4096);
    let mut stack: Vec<Node> = Vec::with_capacity(32);
    let mut root: Option<Node> = None;
    let mut elements = 0usize;
    let mut components = 0usize;

    loop {
        buf.clear();
        let position = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            // quick-xml reports end of input inside a tag as a syntax error.
            Err(quick_xml::Error::Syntax(_)) if !stack.is_empty() && at_eof(&mut reader) => {
                return Err(OrkError::Truncated {
                    element: stack.last().map(|n| n.name.to_string()).unwrap_or_default(),
                });
            }
            Err(e) => return Err(xml_error(e, reader.error_position(), container, meter)),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                if root.is_some() {
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
                elements += 1;
                if elements > limits.max_elements {
                    return Err(OrkError::TooManyElements {
                        limit: limits.max_elements,
                    });
                }
                let node = start_node(e, position)?;
                if stack.last().is_some_and(|p| p.name == "subcomponents")
                    && ComponentKind::from_tag(&node.name).is_some()
                {
                    components += 1;
                    if components > limits.max_components {
                        return Err(OrkError::TooManyComponents {
                            limit: limits.max_components,
                        });
                    }
                }
                if is_empty {
                    attach(&mut stack, &mut root, node);
                } else if node.name == "databranch" {
                    let mut node = node;
                    scan_branch(
                        &mut reader,
                        &mut node,
                        datapoint_rows,
                        limits,
                        &mut elements,
                        container,
                        meter,
                        warnings,
                    )?;
                    attach(&mut stack, &mut root, node);
                } else {
                    stack.push(node);
                }
            }
            Event::End(ref e) => {
                let name = e.name();
                let name: &str = name.as_ref();
                let Some(node) = stack.pop() else {
                    return Err(OrkError::Xml {
                        position,
                        reason: format!("unexpected </{name}>"),
                    });
                };
                if node.name != name {
                    return Err(OrkError::Xml {
                        position,
                        reason: format!("</{name}> closes <{}>", node.name),
                    });
                }
                attach(&mut stack, &mut root, node);
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let content = t.xml10_content();
                    if !(top.text.is_empty() && content.trim().is_empty()) {
                        top.text.push_str(&content);
                    }
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(OrkError::Xml {
                        position,
                        reason: "text outside the root element".into(),
                    });
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
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
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            Event::DocType(_) => return Err(OrkError::Doctype { position }),
            Event::Eof => {
                if let Some(top) = stack.last() {
                    return Err(OrkError::Truncated {
                        element: top.name.to_string(),
                    });
                }
                break;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    root.ok_or_else(|| OrkError::Xml {
        position: reader.buffer_position(),
        reason: "no root element".into(),
    })
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

fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}

fn start_node(e: &BytesStart<'_>, position: u64) -> Result<Node, OrkError> {
    let qname = e.name();
    let name: &str = qname.as_ref();
    let mut node = Node {
        name: intern(name),
        position,
        ..Node::default()
    };
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
        node.attrs
            .push((attr.key.as_ref().to_string(), value.into_owned()));
    }
    Ok(node)
}

fn xml_error(
    e: quick_xml::Error,
    position: u64,
    container: &'static str,
    meter: &Meter,
) -> OrkError {
    match e {
        quick_xml::Error::Io(io) => stream_error(
            std::io::Error::new(io.kind(), io.to_string()),
            container,
            meter,
        ),
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
/// `</databranch>`.
#[allow(clippy::too_many_arguments)]
fn scan_branch<R: BufRead>(
    reader: &mut Reader<R>,
    node: &mut Node,
    want_rows: usize,
    limits: &Limits,
    elements: &mut usize,
    container: &'static str,
    meter: &Meter,
    warnings: &mut Vec<Warning>,
) -> Result<(), OrkError> {
    let mut rows = BranchRows::default();
    let mut tag: Vec<u8> = Vec::new();
    let mut in_tag = false;
    let mut in_row = false;
    let mut row_text: Vec<u8> = Vec::new();
    let mut bad_rows = 0u64;
    let mut stream = reader.stream();
    loop {
        let offset = stream.offset();
        let chunk = match stream.fill_buf() {
            Ok(c) => c,
            Err(e) => return Err(stream_error(e, container, meter)),
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
                                if rows.first.len() < want_rows {
                                    in_row = true;
                                    row_text.clear();
                                }
                            }
                            Tag::DatapointClose => {
                                if in_row {
                                    in_row = false;
                                    match parse_row(&row_text) {
                                        Some(r) => rows.first.push(r),
                                        None => bad_rows += 1,
                                    }
                                }
                            }
                            Tag::Event => {
                                *elements += 1;
                                if *elements > limits.max_elements {
                                    return Err(OrkError::TooManyElements {
                                        limit: limits.max_elements,
                                    });
                                }
                                let position = offset + i as u64 - tag.len() as u64;
                                node.children.push(raw_element(&tag, position)?);
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
                            i = at + b"<datapoint>".len();
                            if rows.first.len() < want_rows {
                                in_row = true;
                                row_text.clear();
                            }
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
    if bad_rows > 0 {
        warnings.push(Warning {
            position: node.position,
            message: format!("{bad_rows} datapoint row(s) with non-numeric values were left out"),
        });
    }
    node.rows = Some(Box::new(rows));
    Ok(())
}

/// Parses a comma-separated row of numbers (`NaN` and `Inf` allowed, as OpenRocket writes).
fn parse_row(text: &[u8]) -> Option<Vec<f64>> {
    let text = std::str::from_utf8(text).ok()?;
    text.trim()
        .split(',')
        .map(|v| super::convert::parse_f64_lenient(v.trim()))
        .collect()
}

/// Turns a raw `<event …/>` tag into a node (attributes only).
fn raw_element(tag: &[u8], position: u64) -> Result<Node, OrkError> {
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
    start_node(&start, position)
}

/// Counts `<datapoint>` rows in a raw XML byte slice; used by tests and tools to cross-check.
pub fn count_datapoints(xml: &[u8]) -> usize {
    memmem::find_iter(xml, b"<datapoint>").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(xml: &str, rows: usize) -> Result<Node, OrkError> {
        let meter = Meter {
            limit: u64::MAX,
            max_run: u64::MAX,
            ..Meter::default()
        };
        let mut src: &[u8] = xml.as_bytes();
        read_tree(
            &mut src,
            &Limits::default(),
            rows,
            "xml",
            &meter,
            &mut Vec::new(),
        )
    }

    #[test]
    fn databranch_is_scanned() {
        let xml = r#"<r><databranch name="B" types="A,B"><event time="1" type="launch"/>
            <datapoint>1,2</datapoint><datapoint>3,NaN</datapoint><datapoint>5,6</datapoint>
            </databranch><after x="1"/></r>"#;
        let root = tree(xml, 2).unwrap();
        let b = root.child("databranch").unwrap();
        let rows = b.rows.as_ref().unwrap();
        assert_eq!(rows.count, 3);
        assert_eq!(rows.first.len(), 2);
        assert_eq!(rows.first[0], vec![1.0, 2.0]);
        assert!(rows.first[1][1].is_nan());
        assert_eq!(b.children.len(), 1);
        assert_eq!(b.children[0].attr("type"), Some("launch"));
        assert_eq!(root.child("after").unwrap().attr("x"), Some("1"));
    }

    #[test]
    fn entities_and_text() {
        let root = tree("<r><n>A &amp; B &#65;</n></r>", 0).unwrap();
        assert_eq!(root.child("n").unwrap().text(), "A & B A");
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
