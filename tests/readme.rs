//! The README is a tested document: its command blocks (all but the first two, the demo and
//! the test command) run in order, as written, in a fresh directory, with the built
//! `zkconsent` on PATH. A command whose comment says it is rejected must exit 1; every other
//! command must succeed.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The repository root (this test file is in `tests/`).
fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .canonicalize()
        .expect("repository root")
}

/// The README's `sh` blocks, in order.
fn sh_blocks(readme: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```sh") => current = Some(String::new()),
            (Some(_), l) if l.starts_with("```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// A block as a script: continuation lines joined, and a command documented as rejected
/// checked to exit 1 instead of stopping the script.
fn script_of(block: &str) -> String {
    let joined = block.replace("\\\n", " ");
    joined
        .lines()
        .map(|line| {
            let command = line.split(" #").next().unwrap_or(line);
            if line.contains("# rejected") {
                format!("set +e; {command}; rc=$?; set -e; test $rc -eq 1\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect()
}

#[test]
fn readme_commands_run_as_written() {
    let root = root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let blocks = sh_blocks(&readme);
    assert!(blocks.len() > 3, "README has too few command blocks");
    assert!(blocks[0].contains("demo") && blocks[1].contains("cargo test"));
    let script: String = blocks[2..].iter().map(|b| script_of(b)).collect();

    let dir = tempfile::tempdir().expect("tempdir");
    // The README's relative paths: the Synthea bundles and the pinned npm tools.
    for name in ["tests", "interop"] {
        std::os::unix::fs::symlink(root.join(name), dir.path().join(name)).expect("symlink");
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_zkconsent"))
        .parent()
        .expect("binary directory")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::fs::write(dir.path().join("readme.sh"), &script).expect("write script");
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "readme.sh"])
        .current_dir(dir.path())
        // The README says where its passphrase comes from.
        .env_remove("ZKCONSENT_PASSPHRASE")
        .env_remove("ZKCONSENT_PASSPHRASE_FILE")
        .env("PATH", path)
        .env_remove("ZKCONSENT_HOME")
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "README script failed\n--- script\n{script}\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
