//! Bounded-memory ordering of trace records.
//!
//! Some traces are not in submit order (Alibaba's tables are grouped by job; a Google job
//! can only be emitted once its last task has ended, long after later jobs were
//! submitted). [`Sorter`] is a priority queue that spills sorted runs to temporary files
//! (JSON lines) once it holds more than `limit` units, and merges them lazily: an
//! external merge sort. A *watermark* (a lower bound on the key of anything still to be
//! pushed) lets it hand out the smallest records before the input ends, so a source that
//! is almost in order streams with almost nothing buffered.

use super::error::TraceError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

static SORT_DIRS: AtomicU64 = AtomicU64::new(0);

struct Entry<K, T> {
    key: K,
    item: T,
}

impl<K: Ord, T> PartialEq for Entry<K, T> {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl<K: Ord, T> Eq for Entry<K, T> {}
impl<K: Ord, T> PartialOrd for Entry<K, T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<K: Ord, T> Ord for Entry<K, T> {
    fn cmp(&self, o: &Self) -> Ordering {
        self.key.cmp(&o.key)
    }
}

struct Run<K, T> {
    path: PathBuf,
    rdr: BufReader<File>,
    head: Option<Entry<K, T>>,
}

/// An external-memory priority queue. Keys must be unique (callers add a sequence
/// number or id), which makes the output order fully determined.
pub struct Sorter<K, T> {
    key: fn(&T) -> K,
    weight: fn(&T) -> usize,
    limit: usize,
    held: usize,
    mem: BinaryHeap<Reverse<Entry<K, T>>>,
    runs: Vec<Run<K, T>>,
    dir: Option<PathBuf>,
    what: &'static str,
    /// Number of runs spilled so far (for tests and reports).
    pub spilled_runs: usize,
}

impl<K: Ord + Clone, T: Serialize + DeserializeOwned> Sorter<K, T> {
    /// `limit`: how many weight units (e.g. tasks) to hold in memory before spilling.
    pub fn new(
        what: &'static str,
        key: fn(&T) -> K,
        weight: fn(&T) -> usize,
        limit: usize,
    ) -> Self {
        Sorter {
            key,
            weight,
            limit: limit.max(1),
            held: 0,
            mem: BinaryHeap::new(),
            runs: Vec::new(),
            dir: None,
            what,
            spilled_runs: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.mem.is_empty() && self.runs.is_empty()
    }

    fn tmp_err(&self, p: &std::path::Path, e: impl std::fmt::Display) -> TraceError {
        TraceError::file(p, format!("temporary sort file ({}): {e}", self.what))
    }

    pub fn push(&mut self, item: T) -> Result<(), TraceError> {
        self.held += (self.weight)(&item);
        self.mem.push(Reverse(Entry {
            key: (self.key)(&item),
            item,
        }));
        if self.held > self.limit {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<(), TraceError> {
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                let d = std::env::temp_dir().join(format!(
                    "schedlab-sort-{}-{}",
                    std::process::id(),
                    SORT_DIRS.fetch_add(1, AtomicOrdering::Relaxed)
                ));
                std::fs::create_dir_all(&d).map_err(|e| self.tmp_err(&d, e))?;
                self.dir = Some(d.clone());
                d
            }
        };
        let path = dir.join(format!("run-{}.jsonl", self.spilled_runs));
        let f = File::create(&path).map_err(|e| self.tmp_err(&path, e))?;
        let mut w = BufWriter::new(f);
        while let Some(Reverse(e)) = self.mem.pop() {
            serde_json::to_writer(&mut w, &e.item).map_err(|e| self.tmp_err(&path, e))?;
            w.write_all(b"\n").map_err(|e| self.tmp_err(&path, e))?;
        }
        w.flush().map_err(|e| self.tmp_err(&path, e))?;
        drop(w);
        self.held = 0;
        self.spilled_runs += 1;
        let f = File::open(&path).map_err(|e| self.tmp_err(&path, e))?;
        let mut run = Run {
            path,
            rdr: BufReader::new(f),
            head: None,
        };
        self.advance(&mut run)?;
        self.runs.push(run);
        Ok(())
    }

    fn advance(&self, run: &mut Run<K, T>) -> Result<(), TraceError> {
        let mut line = String::new();
        let n = run
            .rdr
            .read_line(&mut line)
            .map_err(|e| self.tmp_err(&run.path, e))?;
        run.head = if n == 0 {
            None
        } else {
            let item: T = serde_json::from_str(&line).map_err(|e| self.tmp_err(&run.path, e))?;
            Some(Entry {
                key: (self.key)(&item),
                item,
            })
        };
        Ok(())
    }

    /// The smallest record if its key is below `bound` (`None`: no bound, the input has
    /// ended).
    pub fn pop_below(&mut self, bound: Option<&K>) -> Result<Option<T>, TraceError> {
        // Which source holds the minimum: usize::MAX = the in-memory heap.
        let mut best: Option<(usize, &K)> = self.mem.peek().map(|Reverse(e)| (usize::MAX, &e.key));
        for (i, r) in self.runs.iter().enumerate() {
            if let Some(h) = &r.head {
                if best.is_none_or(|(_, k)| h.key < *k) {
                    best = Some((i, &h.key));
                }
            }
        }
        let Some((src, k)) = best else {
            return Ok(None);
        };
        if let Some(b) = bound {
            if k >= b {
                return Ok(None);
            }
        }
        if src == usize::MAX {
            let Reverse(e) = self.mem.pop().expect("peeked");
            self.held = self.held.saturating_sub((self.weight)(&e.item));
            return Ok(Some(e.item));
        }
        let mut run = self.runs.swap_remove(src);
        let e = run.head.take().expect("had a head");
        self.advance(&mut run)?;
        if run.head.is_some() {
            self.runs.push(run);
            // Keep run order deterministic regardless of swap_remove.
            let n = self.runs.len();
            self.runs.swap(src.min(n - 1), n - 1);
        } else {
            let _ = std::fs::remove_file(&run.path);
        }
        Ok(Some(e.item))
    }
}

impl<K, T> Drop for Sorter<K, T> {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

use super::{TraceJob, TraceJobs};
use crate::actor::Time;

/// A format reader seen from the sorter: it pushes finished jobs in whatever order it
/// completes them and promises a lower bound on what is still to come.
pub(crate) trait Feed {
    /// Reads some input, appending finished jobs to `out`. Returns `Ok(false)` once the
    /// input is exhausted (after appending everything that was still open).
    fn step(&mut self, out: &mut Vec<TraceJob>) -> Result<bool, TraceError>;
    /// A lower bound on the submit time of every job not yet appended; `None` if the
    /// format gives none (then nothing is released before the end of the input).
    fn watermark(&self) -> Option<Time>;
}

/// Turns a [`Feed`] into a stream in (submit, id) order, holding at most `limit` tasks in
/// memory.
pub(crate) fn ordered<F: Feed + 'static>(feed: F, limit: usize) -> TraceJobs {
    Box::new(Ordered {
        feed,
        sorter: Sorter::new(
            "jobs by submit time",
            TraceJob::key,
            |j| j.tasks.len().max(1),
            limit,
        ),
        eof: false,
        failed: false,
        buf: Vec::new(),
    })
}

struct Ordered<F> {
    feed: F,
    sorter: Sorter<(Time, u64), TraceJob>,
    eof: bool,
    failed: bool,
    buf: Vec<TraceJob>,
}

impl<F: Feed> Iterator for Ordered<F> {
    type Item = Result<TraceJob, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let popped = if self.eof {
                self.sorter.pop_below(None)
            } else if let Some(w) = self.feed.watermark() {
                self.sorter.pop_below(Some(&(w, 0)))
            } else {
                Ok(None)
            };
            match popped {
                Ok(Some(j)) => return Some(Ok(j)),
                Ok(None) if self.eof => return None,
                Ok(None) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
            let more = self.feed.step(&mut self.buf);
            for j in self.buf.drain(..) {
                if let Err(e) = self.sorter.push(j) {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
            match more {
                Ok(true) => {}
                Ok(false) => self.eof = true,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// A job parsed from one row, with where the row was (for the order check).
pub(crate) type Located = (TraceJob, std::rc::Rc<std::path::Path>, u64);

/// For formats whose rows are already in submit order (SWF, openb, normalized CSV): passes
/// jobs through, checking the order. A row out of order is a bad row (an error naming
/// file and line, or skipped and counted with `skip_bad`). `items` yields `Ok(None)` for
/// rows that give no job (skipped or filtered).
pub(crate) fn in_order<I>(items: I, bad: super::input::BadRows) -> TraceJobs
where
    I: Iterator<Item = Result<Option<Located>, TraceError>> + 'static,
{
    let mut last: Time = 0;
    let mut failed = false;
    Box::new(items.filter_map(move |r| {
        if failed {
            return None;
        }
        match r {
            Err(e) => {
                failed = true;
                Some(Err(e))
            }
            Ok(None) => None,
            Ok(Some((j, file, line))) => {
                if j.submit < last {
                    let e = TraceError::field(
                        &*file,
                        line,
                        "submit time",
                        format!(
                            "not in submit-time order ({} s after {} s): this format is read in file order",
                            j.submit as f64 / 1e9,
                            last as f64 / 1e9
                        ),
                    );
                    return match bad.handle(e) {
                        Ok(()) => None,
                        Err(e) => {
                            failed = true;
                            Some(Err(e))
                        }
                    };
                }
                last = j.submit;
                Some(Ok(j))
            }
        }
    }))
}
