//! Opening trace files: plain or gzip (detected by the gzip magic bytes, not the name),
//! one file or a folder of parts, read row by row so that nothing is held but the
//! current row.

use super::error::TraceError;
use csv::{ReaderBuilder, StringRecord};
use flate2::read::MultiGzDecoder;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Opens `path` for reading, decompressing it if it starts with the gzip magic bytes
/// (`1f 8b`, RFC 1952 section 2.3.1). `MultiGzDecoder` because the Google buckets' parts
/// are sometimes concatenated gzip members.
pub fn open_file(path: &Path) -> Result<Box<dyn BufRead>, TraceError> {
    let f = File::open(path).map_err(|e| TraceError::file(path, format!("cannot open: {e}")))?;
    let mut r = BufReader::with_capacity(1 << 16, f);
    let head = r
        .fill_buf()
        .map_err(|e| TraceError::file(path, format!("cannot read: {e}")))?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(r),
        )))
    } else {
        Ok(Box::new(r))
    }
}

/// The first `n` bytes of the decompressed file (for format detection).
pub fn peek(path: &Path, n: usize) -> Result<Vec<u8>, TraceError> {
    let r = open_file(path)?;
    let mut buf = Vec::with_capacity(n);
    r.take(n as u64)
        .read_to_end(&mut buf)
        .map_err(|e| TraceError::file(path, format!("cannot read: {e}")))?;
    Ok(buf)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The files of one table: `path` itself if it is a file; if it is a folder, the files
/// in `path/<table>/` (the layout of the Google buckets: `task_events/part-00000-of-00500.csv.gz`)
/// or else the files directly in `path` whose name starts with `table`. Parts are read
/// in name order, which for `part-NNNNN-of-MMMMM` is time order.
pub fn table_parts(path: &Path, table: &str) -> Result<Vec<PathBuf>, TraceError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.is_dir() {
        return Err(TraceError::file(path, "no such file or folder"));
    }
    let sub = path.join(table);
    if sub.is_dir() {
        let v = list_files(&sub, |_| true)?;
        if !v.is_empty() {
            return Ok(v);
        }
    }
    list_files(path, |n| n.starts_with(table))
}

/// Like [`table_parts`] but an absent table is `None`, not an error.
pub fn optional_table(path: &Path, table: &str) -> Result<Option<Vec<PathBuf>>, TraceError> {
    if path.is_file() {
        return Ok(None);
    }
    let v = table_parts(path, table)?;
    Ok(if v.is_empty() { None } else { Some(v) })
}

/// Regular, non-hidden files of a folder whose name passes `keep`, sorted by name.
pub fn list_files(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>, TraceError> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| TraceError::file(dir, format!("cannot list folder: {e}")))?;
    let mut v = Vec::new();
    for e in rd {
        let e = e.map_err(|e| TraceError::file(dir, format!("cannot list folder: {e}")))?;
        let p = e.path();
        let n = file_name(&p);
        if p.is_file() && !n.starts_with('.') && !n.ends_with(".md") && keep(&n) {
            v.push(p);
        }
    }
    v.sort();
    Ok(v)
}

/// Counters shared between a reader and whoever reports on it (`inspect`, the CLI): rows
/// read, rows skipped as malformed (with `skip_bad`), and per-format event counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Data rows read (all tables).
    pub rows: u64,
    /// Malformed rows skipped because `skip_bad` was set.
    pub skipped: u64,
    /// The first few skipped rows' errors, for the report.
    pub skipped_examples: Vec<String>,
    /// Named counts kept by the readers, e.g. `event:SUBMIT`, `never_scheduled`.
    pub counts: BTreeMap<String, u64>,
}

impl ReadStats {
    pub fn bump(&mut self, key: &str, by: u64) {
        *self.counts.entry(key.to_string()).or_insert(0) += by;
    }

    pub fn count(&self, key: &str) -> u64 {
        self.counts.get(key).copied().unwrap_or(0)
    }
}

/// A handle on the counters of one open trace.
pub type Stats = Rc<RefCell<ReadStats>>;

/// What a reader does with a malformed row: stop with the error, or (with `skip_bad`)
/// count it and go on.
#[derive(Clone)]
pub struct BadRows {
    pub skip: bool,
    pub stats: Stats,
}

impl BadRows {
    /// `Err(e)` if bad rows are fatal, else records `e` and returns `Ok(())`.
    pub fn handle(&self, e: TraceError) -> Result<(), TraceError> {
        if !self.skip {
            return Err(e);
        }
        let mut s = self.stats.borrow_mut();
        s.skipped += 1;
        if s.skipped_examples.len() < 5 {
            s.skipped_examples.push(e.to_string());
        }
        Ok(())
    }
}

/// One CSV row with where it came from.
pub struct Row {
    pub file: Rc<Path>,
    pub line: u64,
    pub rec: StringRecord,
}

impl Row {
    /// Fails unless the row has exactly `n` fields (the schema's column count).
    pub fn expect_len(&self, n: usize) -> Result<(), TraceError> {
        if self.rec.len() != n {
            return Err(TraceError::at(
                &*self.file,
                self.line,
                format!("expected {n} fields, found {}", self.rec.len()),
            ));
        }
        Ok(())
    }

    /// Field `i` (0-based), trimmed.
    pub fn str(&self, i: usize) -> &str {
        self.rec.get(i).unwrap_or("").trim()
    }

    fn err(&self, name: &str, msg: String) -> TraceError {
        TraceError::field(&*self.file, self.line, name, msg)
    }

    /// A mandatory field parsed as `T`.
    pub fn parse<T: std::str::FromStr>(&self, i: usize, name: &str) -> Result<T, TraceError> {
        let s = self.str(i);
        if s.is_empty() {
            return Err(self.err(name, "mandatory field is empty".into()));
        }
        s.parse()
            .map_err(|_| self.err(name, format!("not a valid number: `{s}`")))
    }

    /// An optional field: empty is `None`.
    pub fn opt<T: std::str::FromStr>(&self, i: usize, name: &str) -> Result<Option<T>, TraceError> {
        if self.str(i).is_empty() {
            Ok(None)
        } else {
            self.parse(i, name).map(Some)
        }
    }

    /// A float field that must be finite.
    pub fn opt_f64(&self, i: usize, name: &str) -> Result<Option<f64>, TraceError> {
        match self.opt::<f64>(i, name)? {
            Some(v) if !v.is_finite() => Err(self.err(name, format!("not finite: `{v}`"))),
            v => Ok(v),
        }
    }
}

type CsvReader = csv::Reader<Box<dyn BufRead>>;

/// Rows of a CSV table spread over parts, pulled one at a time. Line endings may be LF
/// or CRLF (Alibaba 2017 is CRLF); the column count is checked by the caller, so that the
/// error can say which schema was expected.
pub struct CsvRows {
    parts: std::vec::IntoIter<PathBuf>,
    header: bool,
    cur: Option<(Rc<Path>, CsvReader)>,
    last_line: u64,
    done: bool,
}

impl CsvRows {
    /// `header`: whether each part starts with a header row (skipped).
    pub fn new(parts: Vec<PathBuf>, header: bool) -> CsvRows {
        CsvRows {
            parts: parts.into_iter(),
            header,
            cur: None,
            last_line: 0,
            done: false,
        }
    }
}

impl Iterator for CsvRows {
    type Item = Result<Row, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            if self.cur.is_none() {
                let p = self.parts.next()?;
                let r = match open_file(&p) {
                    Ok(r) => r,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                };
                let rdr = ReaderBuilder::new()
                    .has_headers(self.header)
                    .flexible(true)
                    .from_reader(r);
                self.cur = Some((Rc::from(p.as_path()), rdr));
                self.last_line = u64::from(self.header);
            }
            let (file, rdr) = self.cur.as_mut().expect("set above");
            let mut rec = StringRecord::new();
            match rdr.read_record(&mut rec) {
                Ok(true) => {
                    let line = rec
                        .position()
                        .map(|p| p.line())
                        .unwrap_or(self.last_line + 1);
                    self.last_line = line;
                    // A blank last line reads as one empty field.
                    if rec.len() == 1 && rec.get(0).is_some_and(|s| s.trim().is_empty()) {
                        continue;
                    }
                    return Some(Ok(Row {
                        file: file.clone(),
                        line,
                        rec,
                    }));
                }
                Ok(false) => {
                    self.cur = None;
                }
                Err(e) => {
                    self.done = true;
                    let line = e.position().map(|p| p.line()).unwrap_or(self.last_line + 1);
                    let msg = match e.kind() {
                        csv::ErrorKind::Io(io) => {
                            format!("read error (truncated or corrupt file?): {io}")
                        }
                        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
                        _ => e.to_string(),
                    };
                    return Some(Err(TraceError::at(&**file, line, msg)));
                }
            }
        }
    }
}

/// Text lines of one or more parts (SWF, JSON lines), with 1-based line numbers. A
/// trailing `\r` is stripped.
pub struct Lines {
    parts: std::vec::IntoIter<PathBuf>,
    cur: Option<(Rc<Path>, Box<dyn BufRead>)>,
    line: u64,
    buf: String,
    done: bool,
}

impl Lines {
    pub fn new(parts: Vec<PathBuf>) -> Lines {
        Lines {
            parts: parts.into_iter(),
            cur: None,
            line: 0,
            buf: String::new(),
            done: false,
        }
    }
}

/// One text line with where it came from.
pub struct Line {
    pub file: Rc<Path>,
    pub line: u64,
    pub text: String,
}

impl Iterator for Lines {
    type Item = Result<Line, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            if self.cur.is_none() {
                let p = self.parts.next()?;
                match open_file(&p) {
                    Ok(r) => self.cur = Some((Rc::from(p.as_path()), r)),
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                self.line = 0;
            }
            let (file, r) = self.cur.as_mut().expect("set above");
            self.buf.clear();
            match r.read_line(&mut self.buf) {
                Ok(0) => self.cur = None,
                Ok(_) => {
                    self.line += 1;
                    let t = self.buf.trim_end_matches(['\n', '\r']).to_string();
                    return Some(Ok(Line {
                        file: file.clone(),
                        line: self.line,
                        text: t,
                    }));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(TraceError::at(
                        &**file,
                        self.line + 1,
                        format!("read error (truncated or corrupt file?): {e}"),
                    )));
                }
            }
        }
    }
}
