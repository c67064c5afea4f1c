//! Typed errors of the reader. Each says what was found, and where in the XML when it can.

/// Why a file could not be read as an OpenRocket design.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrkError {
    #[error("empty input (0 bytes)")]
    Empty,

    #[error("input is {size} bytes, over the limit of {limit} bytes")]
    InputTooLarge { size: u64, limit: u64 },

    #[error("inflated XML passed the limit of {limit} bytes")]
    InflatedTooLarge { limit: u64 },

    #[error("a text or tag longer than {limit} bytes")]
    TextTooLong { limit: u64 },

    #[error("XML nested deeper than {limit} levels (at byte {position})")]
    TooDeep { limit: u32, position: u64 },

    #[error("more than {limit} components")]
    TooManyComponents { limit: usize },

    #[error("more than {limit} XML elements outside data branches")]
    TooManyElements { limit: usize },

    #[error("not an OpenRocket design: {found}")]
    NotOpenRocket { found: String },

    #[error("{format} design files are not supported; only OpenRocket .ork")]
    UnsupportedFormat { format: &'static str },

    #[error("zip archive has no .ork entry (entries: {})", entries.join(", "))]
    NoOrkEntry { entries: Vec<String> },

    #[error("corrupt zip archive: {reason}")]
    Zip { reason: String },

    #[error("corrupt or truncated {container} stream: {reason}")]
    Decompress {
        container: &'static str,
        reason: String,
    },

    #[error("an archive nested inside the {outer} container ({inner})")]
    NestedArchive {
        outer: &'static str,
        inner: &'static str,
    },

    #[error(
        "DOCTYPE declarations are not allowed (at byte {position}); entities are never expanded"
    )]
    Doctype { position: u64 },

    #[error("unknown entity reference &{name}; at byte {position}")]
    UnknownEntity { name: String, position: u64 },

    #[error("malformed XML at byte {position}: {reason}")]
    Xml { position: u64, reason: String },

    #[error("document ends inside <{element}> (truncated)")]
    Truncated { element: String },

    #[error("<{element}> at byte {position}: {text:?} is not a finite number")]
    BadNumber {
        element: String,
        text: String,
        position: u64,
    },

    #[error("<{element}> at byte {position}: {text:?} is not a valid {expected}")]
    BadValue {
        element: String,
        text: String,
        expected: &'static str,
        position: u64,
    },

    #[error("root element is <{found}>, expected <openrocket>")]
    WrongRoot { found: String },

    #[error("<openrocket> has no <rocket> element")]
    NoRocket,

    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl OrkError {
    /// A short, stable name of the error class, for logs, metrics and the graph.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::InputTooLarge { .. } => "input_too_large",
            Self::InflatedTooLarge { .. } => "inflated_too_large",
            Self::TextTooLong { .. } => "text_too_long",
            Self::TooDeep { .. } => "too_deep",
            Self::TooManyComponents { .. } => "too_many_components",
            Self::TooManyElements { .. } => "too_many_elements",
            Self::NotOpenRocket { .. } => "not_openrocket",
            Self::UnsupportedFormat { .. } => "unsupported_format",
            Self::NoOrkEntry { .. } => "no_ork_entry",
            Self::Zip { .. } => "corrupt_zip",
            Self::Decompress { .. } => "corrupt_stream",
            Self::NestedArchive { .. } => "nested_archive",
            Self::Doctype { .. } => "doctype",
            Self::UnknownEntity { .. } => "unknown_entity",
            Self::Xml { .. } => "malformed_xml",
            Self::Truncated { .. } => "truncated",
            Self::BadNumber { .. } => "bad_number",
            Self::BadValue { .. } => "bad_value",
            Self::WrongRoot { .. } => "wrong_root",
            Self::NoRocket => "no_rocket",
            Self::Io(_) => "io",
        }
    }
}

/// Something odd but not fatal, returned beside the model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// Byte offset in the XML document where the thing was seen.
    pub position: u64,
    pub message: String,
}
