//! The key agent, with the real binary: `zkconsent agent` unlocks a sealed wallet once and
//! later commands on the home open it with no passphrase; `--status` and `--stop` answer;
//! a stopped agent, a wrong passphrase, a plain wallet or a changed passphrase give no key.

#![cfg(unix)]

mod common;

use common::{setup_home, zk_env, zkh, TEST_PASSPHRASE};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

/// A child process killed (and reaped) if the test ends before it exits.
struct Guard(Option<Child>);

impl Guard {
    /// Waits at most `limit` for the process to exit; its output.
    fn wait(mut self, limit: Duration) -> Output {
        let mut child = self.0.take().expect("child");
        let start = Instant::now();
        while child.try_wait().expect("try_wait").is_none() {
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the agent did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().expect("output")
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn socket(home: &Path) -> PathBuf {
    home.join("agent").join("socket")
}

/// `zkconsent --home HOME agent ARGS…` in the background, under `passphrase`.
fn spawn_agent(home: &Path, passphrase: &str, args: &[&str]) -> Guard {
    let child = Command::new(env!("CARGO_BIN_EXE_zkconsent"))
        .arg("--home")
        .arg(home)
        .arg("agent")
        .args(args)
        .env("ZKCONSENT_PASSPHRASE", passphrase)
        .env_remove("ZKCONSENT_PASSPHRASE_FILE")
        .env_remove("ZKCONSENT_NEW_PASSPHRASE")
        .env_remove("ZKCONSENT_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the agent");
    Guard(Some(child))
}

/// Starts an agent and waits until it answers.
fn start_agent(home: &Path, passphrase: &str) -> Guard {
    let mut agent = spawn_agent(home, passphrase, &["--ttl", "120"]);
    let start = Instant::now();
    loop {
        if zkh(home, &["agent", "--status"]).code == Some(0) {
            return agent;
        }
        if let Some(child) = &mut agent.0 {
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!("the agent exited early: {status}");
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the agent never answered"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `identity list` (it opens the wallet) with no passphrase anywhere.
fn list_without_passphrase(home: &Path) -> common::Run {
    zk_env(
        Some(home),
        &["identity", "list"],
        &[("ZKCONSENT_PASSPHRASE", None)],
    )
}

#[test]
fn the_agent_opens_the_wallet_without_a_passphrase_until_stopped_or_rekeyed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    setup_home(&home);
    // Without an agent, no passphrase is no wallet.
    list_without_passphrase(&home).expect_code(2);
    zkh(&home, &["agent", "--status"]).expect_code(1);
    zkh(&home, &["agent", "--stop"]).expect_code(1);

    let agent = start_agent(&home, TEST_PASSPHRASE);
    let listed = list_without_passphrase(&home);
    listed.expect_code(0);
    assert!(listed.stdout.contains("alice"), "{}", listed.stdout);
    let status = zkh(&home, &["--json", "agent", "--status"]);
    status.expect_code(0);
    let left = status.json()["seconds_left"]
        .as_u64()
        .expect("seconds_left");
    assert!((1..=120).contains(&left), "{left}");
    assert!(zkh(&home, &["agent", "--status"]).stdout.contains("s left"));
    // A second agent for the home refuses to start, and the first keeps serving.
    let second = zkh(&home, &["agent"]);
    second.expect_code(1);
    assert!(
        second.stderr.contains("already running"),
        "{}",
        second.stderr
    );
    list_without_passphrase(&home).expect_code(0);

    zkh(&home, &["agent", "--stop"]).expect_code(0);
    let output = agent.wait(Duration::from_secs(10));
    assert!(output.status.success(), "{output:?}");
    assert!(!socket(&home).exists(), "the socket outlived the agent");
    list_without_passphrase(&home).expect_code(2);
    zkh(&home, &["agent", "--status"]).expect_code(1);

    // A wrong passphrase: the agent exits non-zero and leaves no socket.
    let wrong = spawn_agent(&home, "not the passphrase", &[]).wait(Duration::from_secs(30));
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong passphrase"));
    assert!(!socket(&home).exists());
    list_without_passphrase(&home).expect_code(2);

    // A new passphrase (the current one from the agent): the agent's key no longer opens
    // the wallet, the new passphrase does.
    let agent = start_agent(&home, TEST_PASSPHRASE);
    list_without_passphrase(&home).expect_code(0);
    zk_env(
        Some(&home),
        &["wallet", "passphrase"],
        &[("ZKCONSENT_NEW_PASSPHRASE", Some("a brand new passphrase"))],
    )
    .expect_code(0);
    zkh(&home, &["agent", "--status"]).expect_code(0);
    list_without_passphrase(&home).expect_code(2);
    zk_env(
        Some(&home),
        &["identity", "list"],
        &[("ZKCONSENT_PASSPHRASE", Some("a brand new passphrase"))],
    )
    .expect_code(0);
    zkh(&home, &["agent", "--stop"]).expect_code(0);
    assert!(agent.wait(Duration::from_secs(10)).status.success());
}

#[test]
fn the_agent_exits_when_its_time_runs_out_and_refuses_a_plain_wallet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir(&home).expect("home");
    drop(zkconsent::wallet::Wallet::create(home.join("wallet.db"), None).expect("plain wallet"));
    let plain = zkh(&home, &["agent"]);
    plain.expect_code(2);
    assert!(plain.stderr.contains("not encrypted"), "{}", plain.stderr);
    assert!(!socket(&home).exists());

    // No wallet at all: exit 2.
    zkh(&dir.path().join("nowhere"), &["agent"]).expect_code(2);

    // A sealed wallet, an agent for one second.
    let sealed = dir.path().join("sealed");
    std::fs::create_dir(&sealed).expect("home");
    let passphrase =
        zkconsent::wallet::Passphrase::new(TEST_PASSPHRASE.to_owned()).expect("passphrase");
    drop(
        zkconsent::wallet::Wallet::create(sealed.join("wallet.db"), Some(&passphrase))
            .expect("sealed wallet"),
    );
    let started = Instant::now();
    let output = spawn_agent(&sealed, TEST_PASSPHRASE, &["--ttl", "1", "--json"])
        .wait(Duration::from_secs(30));
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("\"expired\""),
        "{output:?}"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(!socket(&sealed).exists());
}
