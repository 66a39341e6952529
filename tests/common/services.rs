//! The services as child processes of the test, on free local ports: `registry serve` and
//! `serve` print their address on their first line; the child is killed on drop.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
};

/// A running service process.
pub struct Service {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Service {
    /// Starts `zkconsent --home HOME ARGS… --listen 127.0.0.1:0` and waits for its address.
    pub fn start(home: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkconsent"))
            .env("ZKCONSENT_PASSPHRASE", super::TEST_PASSPHRASE)
            .arg("--home")
            .arg(home)
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("ZKCONSENT_HOME")
            .env_remove("ZKCONSENT_REGISTRY")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn service");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        reader.read_line(&mut first).expect("service's first line");
        // Keep draining: a closed pipe would fail the service's later writes.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .trim_end_matches(['"', '}', ','])
            .to_owned();
        Self { child, url }
    }

    /// Stops the process (SIGKILL) and waits for it.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
