//! Unit tests of `src/plot/data.rs` (moved out of the library: see `unit.rs`).

use schedlab::plot::data::*;

fn row(job: &str, task: &str, submit: f64, end: f64, state: &str) -> TaskRow {
    TaskRow {
        job: job.into(),
        task: task.into(),
        framework: "f".into(),
        agent: "a".into(),
        submit,
        start: Some(submit + 1.0),
        end: Some(end),
        state: state.into(),
        reason: "none".into(),
    }
}

#[test]
fn completions_need_every_task_finished() {
    let rows = vec![
        row("0", "0", 1.0, 10.0, "TASK_FINISHED"),
        row("0", "1", 1.0, 15.0, "TASK_FINISHED"),
        row("1", "0", 2.0, 5.0, "TASK_LOST"),
        row("1", "0", 2.0, 30.0, "TASK_FINISHED"), // relaunched attempt
        row("2", "0", 3.0, 9.0, "TASK_FAILED"),
    ];
    assert_eq!(job_completions(&rows), vec![14.0, 28.0]);
    assert_eq!(waits(&rows), vec![1.0; 5]);
}
