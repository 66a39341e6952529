//! Human output by default, one JSON object per command with `--json`.

use serde_json::{json, Value};
use std::io::Write;

/// Prints a line on stdout. A reader that went away (`zkconsent … | head`) is not an error
/// of ours: the line is dropped instead of panicking as `println!` does, and the command's
/// exit code stays what it was.
pub fn say(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Where command results go.
pub struct Out {
    json: bool,
    /// A JSON result was printed (it carries `"ok": false` when the command then fails).
    printed: bool,
}

impl Out {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            printed: false,
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints a result: `human` for people, `machine` as JSON.
    pub fn result(&mut self, human: &str, machine: Value) {
        if self.json {
            say(machine);
            self.printed = true;
        } else {
            say(human);
        }
    }

    /// Prints a line of progress (human mode only).
    pub fn progress(&mut self, line: &str) {
        if !self.json {
            say(line);
        }
    }

    /// Prints a failure: one line on stderr, or a JSON object on stdout unless the command
    /// already printed its result (one JSON object per command: a batch's summary names its
    /// failed lines and says `"ok": false` itself).
    pub fn error(&mut self, message: &str) {
        if self.json {
            if !self.printed {
                say(json!({ "ok": false, "error": message }));
            }
        } else {
            eprintln!("zkconsent: {message}");
        }
    }
}
