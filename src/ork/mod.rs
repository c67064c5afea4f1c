//! The `.ork` reader: container, streaming XML pass, and conversion into [`crate::model`].
//!
//! ```no_run
//! let bytes = std::fs::read("rocket.ork").unwrap();
//! let parsed = ork_processor::ork::parse(&bytes, &Default::default()).unwrap();
//! println!("{} components", parsed.design.components.len());
//! ```
//!
//! Three stages, each in its own module:
//! * `container`: sniffs zip / gzip / plain XML and yields the XML as windows of bytes, read
//!   where they were inflated (no copy), with the size limits checked as they pass;
//! * `xml`: one quick-xml pass that keeps the elements outside data rows and skims the rows;
//! * `convert`: element tree to typed model, collecting warnings for what it does not know.

mod container;
pub(crate) mod convert;
mod error;
mod xml;

pub use error::{OrkError, Warning};

use crate::model::Design;
use crate::series::SeriesConfig;

/// Resource limits. Each one, when hit, is a typed [`OrkError`] that carries the figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Size of the input as given (the S3 object or the file).
    pub max_input_bytes: u64,
    /// Size of the XML after inflating; checked while streaming, so zip bombs stop here.
    pub max_xml_bytes: u64,
    /// Longest run of bytes without markup (one text or one tag): bounds what the XML reader
    /// buffers at once, so a bomb of whitespace stops early instead of filling memory.
    pub max_text_bytes: u64,
    /// XML nesting depth.
    pub max_depth: u32,
    /// Number of components in the design.
    pub max_components: usize,
    /// XML elements kept outside the data rows (bounds the memory of the element tree).
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 64 * 1024 * 1024,
            max_xml_bytes: 512 * 1024 * 1024,
            max_text_bytes: 8 * 1024 * 1024,
            max_depth: 64,
            max_components: 100_000,
            max_elements: 1_000_000,
        }
    }
}

/// What to read besides the design itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    pub limits: Limits,
    /// Keep the first N datapoint rows of every databranch (0: count them only).
    pub datapoint_rows: usize,
    /// Decode the flight series of every simulation ([`crate::series`]); `None` skips the
    /// rows (they are only counted).
    pub series: Option<SeriesConfig>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            limits: Limits::default(),
            datapoint_rows: 0,
            series: Some(SeriesConfig::default()),
        }
    }
}

/// A parsed design and the warnings met on the way.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub design: Design,
    pub warnings: Vec<Warning>,
}

/// Parses an `.ork` file held in memory (zip, gzip or plain XML).
pub fn parse(bytes: &[u8], options: &ParseOptions) -> Result<Parsed, OrkError> {
    container::with_xml(bytes, &options.limits, |src| {
        let container_name = match src.info.kind {
            crate::model::ContainerKind::Zip => "zip",
            crate::model::ContainerKind::Gzip => "gzip",
            crate::model::ContainerKind::Xml => "xml",
        };
        let mut warnings = Vec::new();
        let root = xml::read_tree(
            src.reader,
            &options.limits,
            options.datapoint_rows,
            options.series,
            container_name,
            &mut warnings,
        )?;
        // `read_tree` reads to the end of the stream, so the zip CRC and the gzip trailer have
        // been checked by now.
        let mut info = src.info;
        info.xml_bytes = src.reader.bytes_read();
        let design = convert::design(&root, info, &mut warnings)?;
        Ok(Parsed { design, warnings })
    })
}

/// Reads a file, refusing it before reading when it is over the input limit.
pub fn read_file(path: &std::path::Path, limits: &Limits) -> Result<Vec<u8>, OrkError> {
    let size = std::fs::metadata(path)?.len();
    if size > limits.max_input_bytes {
        return Err(OrkError::InputTooLarge {
            size,
            limit: limits.max_input_bytes,
        });
    }
    Ok(std::fs::read(path)?)
}

/// Reads a file and parses it, refusing files over the input limit before reading them.
pub fn parse_file(path: &std::path::Path, options: &ParseOptions) -> Result<Parsed, OrkError> {
    parse(&read_file(path, &options.limits)?, options)
}
