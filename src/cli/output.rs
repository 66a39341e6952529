//! Human output by default, one JSON object per command with `--json`.

use serde_json::{json, Value};

/// Where command results go.
pub struct Out {
    json: bool,
}

impl Out {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints a result: `human` for people, `machine` as JSON.
    pub fn result(&mut self, human: &str, machine: Value) {
        if self.json {
            println!("{machine}");
        } else {
            println!("{human}");
        }
    }

    /// Prints a line of progress (human mode only).
    pub fn progress(&mut self, line: &str) {
        if !self.json {
            println!("{line}");
        }
    }

    /// Prints a failure: one line on stderr, or a JSON object on stdout.
    pub fn error(&mut self, message: &str) {
        if self.json {
            println!("{}", json!({ "ok": false, "error": message }));
        } else {
            eprintln!("zkconsent: {message}");
        }
    }
}
