//! Unit tests of `src/stats.rs` (moved out of the library: see `unit.rs`).

use schedlab::stats::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-300)
}

const A: [f64; 8] = [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.0];
const B: [f64; 7] = [5.2, 6.1, 4.9, 7.3, 5.8, 6.6, 4.7];

#[test]
fn mean_std_ci_by_hand() {
    // 1..=5: mean 3, variance 2.5, std 1.5811388; t(0.975, 4) = 2.7764451.
    let s = Sample::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(s.n, 5);
    assert_eq!(s.mean, 3.0);
    assert!(close(s.std, 2.5f64.sqrt(), 1e-12));
    let half = 2.776_445_105_197_793 * 2.5f64.sqrt() / 5f64.sqrt();
    assert!(close(s.ci_low, 3.0 - half, 1e-9), "{}", s.ci_low);
    assert!(close(s.ci_high, 3.0 + half, 1e-9));
    let one = Sample::of(&[7.0]);
    assert_eq!(
        (one.mean, one.std, one.ci_low, one.ci_high),
        (7.0, 0.0, 7.0, 7.0)
    );
    assert!(Sample::of(&[]).mean.is_nan());
}

#[test]
fn ci_matches_scipy() {
    // scipy.stats.t.interval(0.95, 7, loc=np.mean(A), scale=scipy.stats.sem(A))
    // = (2.4136486128348187, 4.461351387165181)
    let s = Sample::of(&A);
    assert!(
        close(s.ci_low, 2.413_648_612_834_818_7, 1e-9),
        "{}",
        s.ci_low
    );
    assert!(
        close(s.ci_high, 4.461_351_387_165_181, 1e-9),
        "{}",
        s.ci_high
    );
}

#[test]
fn relative_difference_of_means() {
    assert_eq!(relative_difference(10.0, 12.0), Some(0.2));
    assert_eq!(relative_difference(-10.0, -12.0), Some(-0.2));
    assert_eq!(relative_difference(0.0, 1.0), None);
}

#[test]
fn welch_matches_scipy() {
    // scipy.stats.ttest_ind(A, B, equal_var=False)
    // -> statistic=-4.208718429876165, pvalue=0.0010508403012201451, df=12.835000123031271
    let t = welch(&A, &B);
    assert!(close(t.statistic, -4.208_718_429_876_165, 1e-9), "{t:?}");
    assert!(close(t.df, 12.835_000_123_031_271, 1e-6), "{t:?}");
    assert!(close(t.p, 0.001_050_840_301_220_145_1, 1e-6), "{t:?}");
    // Identical samples: t = 0, p = 1.
    let same = welch(&A, &A);
    assert_eq!(same.statistic, 0.0);
    assert!(close(same.p, 1.0, 1e-12));
    // Degenerate: constant samples.
    assert_eq!(welch(&[1.0, 1.0], &[1.0, 1.0]).p, 1.0);
    assert_eq!(welch(&[1.0, 1.0], &[2.0, 2.0]).p, 0.0);
    assert!(welch(&[1.0], &[2.0, 3.0]).p.is_nan());
}

#[test]
fn mann_whitney_exact_matches_scipy() {
    // scipy.stats.mannwhitneyu(A, B, alternative="two-sided", method="exact")
    // -> statistic=3.0, pvalue=0.0021756021756021756
    let t = mann_whitney(&A, &B);
    assert!(t.exact);
    assert_eq!(t.statistic, 3.0);
    assert!(close(t.p, 0.002_175_602_175_602_175_6, 1e-9), "{t:?}");
    // By hand: [1, 2] vs [3, 4]: U = 0; P(U <= 0) = 1/6, two-sided 1/3.
    let h = mann_whitney(&[1.0, 2.0], &[3.0, 4.0]);
    assert_eq!(h.statistic, 0.0);
    assert!(close(h.p, 1.0 / 3.0, 1e-12));
}

#[test]
fn mann_whitney_asymptotic_with_ties_matches_scipy() {
    // Ties force the normal approximation.
    // x = [1, 2, 2, 3, 3, 3, 4, 5, 6, 7], y = [3, 4, 4, 5, 6, 6, 7, 8, 8, 9]
    // scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic",
    //   use_continuity=True) -> statistic=18.5, pvalue=0.01812743104340377
    let x = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let y = [3.0, 4.0, 4.0, 5.0, 6.0, 6.0, 7.0, 8.0, 8.0, 9.0];
    let t = mann_whitney(&x, &y);
    assert!(!t.exact);
    assert_eq!(t.statistic, 18.5);
    assert!(close(t.p, 0.018_127_431_043_403_77, 1e-6), "{t:?}");
    // Large samples without ties also use the approximation:
    // scipy.stats.mannwhitneyu(range(20), [v + 5.5 for v in range(20)],
    //   method="asymptotic") -> statistic=105.0, pvalue=0.010581211443165648
    let a: Vec<f64> = (0..20).map(f64::from).collect();
    let b: Vec<f64> = (0..20).map(|v| f64::from(v) + 5.5).collect();
    let t = mann_whitney(&a, &b);
    assert!(!t.exact);
    assert_eq!(t.statistic, 105.0);
    assert!(close(t.p, 0.010_581_211_443_165_648, 1e-6), "{t:?}");
}

#[test]
fn u_distribution_counts() {
    // n1 = n2 = 2: U in 0..=4 with counts 1, 1, 2, 1, 1 (6 arrangements).
    assert_eq!(u_counts(2, 2), vec![1.0, 1.0, 2.0, 1.0, 1.0]);
    let c = u_counts(5, 3);
    assert_eq!(c.iter().sum::<f64>(), 56.0); // C(8, 3)
}
