//! Unit tests of `src/plot/omega.rs` (moved out of the library: see `unit.rs`).

use schedlab::plot::omega::*;
use schedlab::plot::Figure;

const CSV: &str = "architecture,service_t_job_s,busyness_batch,busyness_batch_ci,busyness_service,busyness_service_ci,conflict_batch,conflict_batch_ci,conflict_service,conflict_service_ci,abandoned_batch,abandoned_batch_ci,batch_wait_s,batch_wait_s_ci\n\
monolithic,0.1,0.02,0.001,0.02,0.001,0,0,0,0,0,0,0.2,0.01\n\
monolithic,10,0.1,0.007,0.1,0.007,0,0,0,0,0,0,0.6,0.06\n\
shared_state,0.1,0.01,0.001,0.001,0.0001,0.01,0.001,0.02,0.002,0,0,0.1,0.01\n";

#[test]
fn one_line_per_architecture_in_six_panels() {
    let Figure::Grid { charts, .. } = figure(CSV, "omega.csv").unwrap() else {
        panic!("grid expected")
    };
    assert_eq!(charts.len(), 6);
    assert!(charts.iter().all(|c| c.log_x && c.series.len() == 2));
    assert_eq!(charts[0].series[0].points, vec![(0.1, 0.02), (10.0, 0.1)]);
    assert_eq!(charts[3].series[1].points, vec![(0.1, 0.02)]);
}

#[test]
fn bad_number_names_line_and_field() {
    let bad = CSV.replace("monolithic,10,0.1", "monolithic,10,x");
    let e = figure(&bad, "omega.csv").unwrap_err();
    assert_eq!(
        e.0,
        "omega.csv:3: field `busyness_batch`: `x` is not a number"
    );
}
