//! `schedlab run --format parquet`: the task table written as Parquet holds exactly the
//! rows of `tasks.csv`, read back with the parquet crate's own reader.

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use schedlab::metrics::{secs, OutputFormat};
use schedlab::run::{execute, RunOptions};
use schedlab::scenario::{Scenario, QUICKSTART};

fn run(format: OutputFormat, tag: &str) -> std::path::PathBuf {
    let scn = Scenario::parse_with_overrides(QUICKSTART, "quickstart", &[]).unwrap();
    let dir = std::env::temp_dir().join(format!("schedlab-pq-{tag}-{}", std::process::id()));
    let opts = RunOptions {
        out: Some(dir.clone()),
        format,
        ..Default::default()
    };
    execute(&scn, &opts).unwrap();
    dir
}

/// A Parquet cell as the CSV writes it: times in decimal seconds, null as empty.
fn cell(name: &str, f: &Field) -> String {
    match (name, f) {
        (_, Field::Null) => String::new(),
        ("submit" | "start" | "end", Field::ULong(t)) => secs(*t),
        (_, Field::ULong(x)) => x.to_string(),
        (_, Field::UInt(x)) => x.to_string(),
        (_, Field::Double(x)) => format!("{x}"),
        (_, Field::Str(s)) => s.clone(),
        (n, other) => panic!("column {n}: unexpected {other:?}"),
    }
}

#[test]
fn parquet_task_table_equals_the_csv_rows() {
    let csv_dir = run(OutputFormat::Csv, "csv");
    let pq_dir = run(OutputFormat::Parquet, "parquet");
    assert!(!pq_dir.join("tasks.csv").exists());
    let mut rd = csv::Reader::from_path(csv_dir.join("tasks.csv")).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    let csv_rows: Vec<Vec<String>> = rd
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert!(csv_rows.len() > 100, "{} rows", csv_rows.len());

    let reader =
        SerializedFileReader::new(std::fs::File::open(pq_dir.join("tasks.parquet")).unwrap())
            .unwrap();
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(names, header, "same columns, same order");
    let pq_rows: Vec<Vec<String>> = reader
        .get_row_iter(None)
        .unwrap()
        .map(|r| {
            r.unwrap()
                .get_column_iter()
                .map(|(n, f)| cell(n, f))
                .collect()
        })
        .collect();
    assert_eq!(pq_rows.len(), csv_rows.len());
    for (i, (p, c)) in pq_rows.iter().zip(&csv_rows).enumerate() {
        assert_eq!(p, c, "row {i}");
    }
    // The other result files are written as with CSV, byte for byte.
    assert_eq!(
        std::fs::read(csv_dir.join("timeseries.csv")).unwrap(),
        std::fs::read(pq_dir.join("timeseries.csv")).unwrap()
    );
    std::fs::remove_dir_all(csv_dir).ok();
    std::fs::remove_dir_all(pq_dir).ok();
}
