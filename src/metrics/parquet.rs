//! `tasks.parquet`: the rows of `tasks.csv` as an Apache Parquet file, for runs whose
//! task table is too big for CSV tools (a Borg-like month is about 25 million rows).
//!
//! Written with the `parquet` crate's low-level column writer (no Arrow: the crate is
//! built with `default-features = false` and only Snappy compression, which keeps its
//! compile time and CI time small). Rows are buffered column by column and flushed as a
//! row group every [`ROW_GROUP_ROWS`] rows, so memory holds one row group, never the
//! whole table.
//!
//! Columns are those of `tasks.csv`, in the same order and with the same names; times
//! (`submit`, `start`, `end`) are integer nanoseconds (the CSV prints the same values
//! as decimal seconds) and `start`/`end` are null where the CSV cell is empty; `cpus`
//! is a double, `mem` MiB.

use super::recorder::TaskRecord;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::fs::File;
use std::sync::Arc;

/// Rows per row group: about 64 k rows keep a group a few MB in memory.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// The schema of `tasks.parquet`.
pub const TASKS_SCHEMA: &str = "message tasks {
  REQUIRED INT64 job (INTEGER(64,false));
  REQUIRED INT32 task (INTEGER(32,false));
  REQUIRED INT32 attempt (INTEGER(32,false));
  REQUIRED BYTE_ARRAY framework (UTF8);
  REQUIRED BYTE_ARRAY role (UTF8);
  REQUIRED BYTE_ARRAY agent (UTF8);
  REQUIRED DOUBLE cpus;
  REQUIRED INT64 mem (INTEGER(64,false));
  REQUIRED INT64 submit (INTEGER(64,false));
  OPTIONAL INT64 start (INTEGER(64,false));
  OPTIONAL INT64 end (INTEGER(64,false));
  REQUIRED BYTE_ARRAY state (UTF8);
  REQUIRED BYTE_ARRAY reason (UTF8);
}";

/// One row group in the making, column by column.
#[derive(Default)]
struct Columns {
    job: Vec<i64>,
    task: Vec<i32>,
    attempt: Vec<i32>,
    framework: Vec<ByteArray>,
    role: Vec<ByteArray>,
    agent: Vec<ByteArray>,
    cpus: Vec<f64>,
    mem: Vec<i64>,
    submit: Vec<i64>,
    start: Vec<i64>,
    start_def: Vec<i16>,
    end: Vec<i64>,
    end_def: Vec<i16>,
    state: Vec<ByteArray>,
    reason: Vec<ByteArray>,
}

impl Columns {
    fn len(&self) -> usize {
        self.job.len()
    }

    /// Empties every column, keeping its capacity for the next row group.
    fn clear(&mut self) {
        let Columns {
            job,
            task,
            attempt,
            framework,
            role,
            agent,
            cpus,
            mem,
            submit,
            start,
            start_def,
            end,
            end_def,
            state,
            reason,
        } = self;
        job.clear();
        task.clear();
        attempt.clear();
        framework.clear();
        role.clear();
        agent.clear();
        cpus.clear();
        mem.clear();
        submit.clear();
        start.clear();
        start_def.clear();
        end.clear();
        end_def.clear();
        state.clear();
        reason.clear();
    }
}

/// One shared buffer per distinct string (framework, role, agent, state, reason):
/// a row's strings are then reference-count increments, not one allocation each (a
/// month of a Borg-size cell writes 21 million rows of five strings).
#[derive(Default)]
struct Interned {
    map: crate::keymap::KeyMap<Box<str>, ByteArray>,
}

impl Interned {
    fn get(&mut self, s: &str) -> ByteArray {
        if let Some(b) = self.map.get(s) {
            return b.clone();
        }
        let b = ByteArray::from(s);
        self.map.insert(s.into(), b.clone());
        b
    }
}

/// Streams task rows into a Parquet file, one row group at a time.
pub struct ParquetTasks {
    writer: SerializedFileWriter<File>,
    cols: Columns,
    strings: Interned,
    rows: u64,
    group_rows: usize,
}

fn err(e: parquet::errors::ParquetError) -> String {
    format!("parquet: {e}")
}

/// Parquet stores unsigned 64-bit logical integers in INT64's bits.
fn i64_of(x: u64) -> i64 {
    x as i64
}

impl ParquetTasks {
    pub fn new(file: File) -> Result<ParquetTasks, String> {
        ParquetTasks::with_group_rows(file, ROW_GROUP_ROWS)
    }

    /// As `new`, flushing a row group every `group_rows` rows (at least 1).
    pub fn with_group_rows(file: File, group_rows: usize) -> Result<ParquetTasks, String> {
        let schema = Arc::new(parse_message_type(TASKS_SCHEMA).map_err(err)?);
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("schedlab {}", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        let writer = SerializedFileWriter::new(file, schema, props).map_err(err)?;
        Ok(ParquetTasks {
            writer,
            cols: Columns::default(),
            strings: Interned::default(),
            rows: 0,
            group_rows: group_rows.max(1),
        })
    }

    /// Adds one row; a full row group is written out.
    pub fn push(&mut self, r: &TaskRecord) -> Result<(), String> {
        let (c, s) = (&mut self.cols, &mut self.strings);
        c.job.push(i64_of(r.job));
        c.task.push(r.task as i32);
        c.attempt.push(r.attempt as i32);
        c.framework.push(s.get(r.framework));
        c.role.push(s.get(r.role));
        c.agent.push(s.get(r.agent));
        c.cpus.push(r.cpus);
        c.mem.push(i64_of(r.mem));
        c.submit.push(i64_of(r.submit));
        match r.start {
            Some(t) => {
                c.start.push(i64_of(t));
                c.start_def.push(1);
            }
            None => c.start_def.push(0),
        }
        match r.end {
            Some(t) => {
                c.end.push(i64_of(t));
                c.end_def.push(1);
            }
            None => c.end_def.push(0),
        }
        c.state.push(s.get(r.state));
        c.reason.push(s.get(r.reason));
        self.rows += 1;
        if self.cols.len() >= self.group_rows {
            self.flush_group()?;
        }
        Ok(())
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn flush_group(&mut self) -> Result<(), String> {
        if self.cols.len() == 0 {
            return Ok(());
        }
        let c = &self.cols;
        let mut rg = self.writer.next_row_group().map_err(err)?;
        let mut i = 0;
        while let Some(mut col) = rg.next_column().map_err(err)? {
            match i {
                0 => col.typed::<Int64Type>().write_batch(&c.job, None, None),
                1 => col.typed::<Int32Type>().write_batch(&c.task, None, None),
                2 => col.typed::<Int32Type>().write_batch(&c.attempt, None, None),
                3 => col
                    .typed::<ByteArrayType>()
                    .write_batch(&c.framework, None, None),
                4 => col
                    .typed::<ByteArrayType>()
                    .write_batch(&c.role, None, None),
                5 => col
                    .typed::<ByteArrayType>()
                    .write_batch(&c.agent, None, None),
                6 => col.typed::<DoubleType>().write_batch(&c.cpus, None, None),
                7 => col.typed::<Int64Type>().write_batch(&c.mem, None, None),
                8 => col.typed::<Int64Type>().write_batch(&c.submit, None, None),
                9 => col
                    .typed::<Int64Type>()
                    .write_batch(&c.start, Some(&c.start_def), None),
                10 => col
                    .typed::<Int64Type>()
                    .write_batch(&c.end, Some(&c.end_def), None),
                11 => col
                    .typed::<ByteArrayType>()
                    .write_batch(&c.state, None, None),
                _ => col
                    .typed::<ByteArrayType>()
                    .write_batch(&c.reason, None, None),
            }
            .map_err(err)?;
            col.close().map_err(err)?;
            i += 1;
        }
        rg.close().map_err(err)?;
        self.cols.clear();
        Ok(())
    }

    /// Writes the last row group and the footer.
    pub fn finish(mut self) -> Result<(), String> {
        self.flush_group()?;
        self.writer.close().map_err(err)?;
        Ok(())
    }
}
