//! Processes writing one home at once: each write stamps the time read once it holds the
//! write lock, so parallel grant issues never fail with "time went backwards" (a time read
//! before waiting for the lock could be older than the write that held it).

mod common;

use common::{setup_home, zkh};

/// Parallel writers per round, and rounds (the depth-4 home holds 16 grants).
const WRITERS: usize = 8;
const ROUNDS: usize = 2;

#[test]
fn parallel_grant_issues_all_land_in_time_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    for _ in 0..ROUNDS {
        let runs: Vec<_> = (0..WRITERS)
            .map(|_| {
                let home = home.clone();
                std::thread::spawn(move || {
                    zkh(
                        &home,
                        &[
                            "grant",
                            "issue",
                            "--patient",
                            "alice",
                            "--grantee",
                            "bob",
                            "--scope",
                            "observations",
                            "--days",
                            "1",
                        ],
                    )
                })
            })
            .collect();
        for run in runs {
            run.join().expect("thread").expect_code(0);
        }
    }
    let run = zkh(&home, &["--json", "registry", "roots"]);
    run.expect_code(0);
    zkh(&home, &["registry", "audit"]).expect_code(0);
    let listed = zkh(&home, &["--json", "grant", "list"]);
    listed.expect_code(0);
    assert_eq!(
        listed.json()["grants"].as_array().map(Vec::len),
        Some(WRITERS * ROUNDS),
        "{}",
        listed.stdout
    );
}
