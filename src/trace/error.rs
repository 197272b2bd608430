//! The one error type of the trace readers: every failure names the file, and where it
//! can, the line and the field, so that a bad row in a multi-gigabyte trace can be found
//! with `sed -n LINEp` instead of a bisection.

use std::fmt;
use std::path::Path;

/// A failure while reading, converting or generating a trace.
///
/// `Display` prints `FILE:LINE: field FIELD: MESSAGE`, leaving out the parts that are
/// unknown (an I/O error before the first row has no line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// The file (or folder) being read.
    pub file: String,
    /// 1-based line number in the (decompressed) file, where known.
    pub line: Option<u64>,
    /// The schema name of the offending field, where the error is about one field.
    pub field: Option<String>,
    pub msg: String,
}

impl TraceError {
    /// An error about a whole file (cannot open, cannot detect the format, ...).
    pub fn file(file: impl AsRef<Path>, msg: impl Into<String>) -> TraceError {
        TraceError {
            file: file.as_ref().display().to_string(),
            line: None,
            field: None,
            msg: msg.into(),
        }
    }

    /// An error about one line of a file.
    pub fn at(file: impl AsRef<Path>, line: u64, msg: impl Into<String>) -> TraceError {
        TraceError {
            line: Some(line),
            ..TraceError::file(file, msg)
        }
    }

    /// An error about one field of one line.
    pub fn field(
        file: impl AsRef<Path>,
        line: u64,
        field: &str,
        msg: impl Into<String>,
    ) -> TraceError {
        TraceError {
            line: Some(line),
            field: Some(field.to_string()),
            ..TraceError::file(file, msg)
        }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        write!(f, "{}", self.msg)
    }
}

impl std::error::Error for TraceError {}

impl From<TraceError> for String {
    fn from(e: TraceError) -> String {
        e.to_string()
    }
}
