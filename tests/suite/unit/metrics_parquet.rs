//! Unit tests of `src/metrics/parquet.rs` (moved out of the library: see `unit.rs`).

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use schedlab::metrics::parquet::*;
use schedlab::metrics::recorder::TaskRecord;
use std::fs::File;

/// Agents repeat across rows, as they do in a run (the interned strings).
const AGENTS: [&str; 4] = ["agent-0", "agent-1", "agent-2", "agent-3"];

fn row(i: u64) -> TaskRecord<'static> {
    TaskRecord {
        job: i / 3,
        task: (i % 3) as u32,
        attempt: 0,
        framework: "fw",
        role: if i.is_multiple_of(2) { "a" } else { "b" },
        agent: AGENTS[(i % 4) as usize],
        cpus: 0.5 * i as f64,
        mem: 1024 + i,
        submit: i * 1_000_000_007,
        start: (!i.is_multiple_of(4)).then_some(i * 2_000_000_000),
        end: (!i.is_multiple_of(5)).then_some(u64::MAX - i),
        state: "TASK_FINISHED",
        reason: "none",
    }
}

/// Ten rows in groups of three: four row groups, every value (nulls, the largest
/// u64 time) read back as written.
#[test]
fn rows_stream_in_groups_and_read_back() {
    let path = std::env::temp_dir().join(format!("schedlab-pq-{}.parquet", std::process::id()));
    let mut w = ParquetTasks::with_group_rows(File::create(&path).unwrap(), 3).unwrap();
    for i in 0..10 {
        w.push(&row(i)).unwrap();
    }
    assert_eq!(w.rows(), 10);
    w.finish().unwrap();
    let r = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    assert_eq!(r.metadata().num_row_groups(), 4);
    let rows: Vec<_> = r.get_row_iter(None).unwrap().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 10);
    for (i, got) in rows.iter().enumerate() {
        let want = row(i as u64);
        let f: Vec<&Field> = got.get_column_iter().map(|(_, f)| f).collect();
        assert_eq!(f[0], &Field::ULong(want.job));
        assert_eq!(f[1], &Field::UInt(want.task));
        assert_eq!(f[5], &Field::Str(want.agent.to_string()));
        assert_eq!(f[6], &Field::Double(want.cpus));
        let opt = |t: Option<u64>| t.map_or(Field::Null, Field::ULong);
        assert_eq!(f[9], &opt(want.start), "row {i}");
        assert_eq!(f[10], &opt(want.end), "row {i}");
    }
    std::fs::remove_file(&path).ok();
}
