//! The CLI's wallet passphrase source: `ZKCONSENT_PASSPHRASE`, else the first line of the
//! file `ZKCONSENT_PASSPHRASE_FILE` names, else a prompt on the terminal (asked twice for a
//! new wallet); with none of them, the command stops before it writes anything.

use std::{io::IsTerminal, path::Path};
use zkconsent::{
    passphrase::{install_passphrase_source, PassphraseFor},
    wallet::{sealed::MAX_PASSPHRASE_BYTES, Passphrase},
};

/// The passphrase itself (for scripts and services).
pub const PASSPHRASE_ENV: &str = "ZKCONSENT_PASSPHRASE";
/// A file whose first line is the passphrase (for services: a secret file or credential).
pub const PASSPHRASE_FILE_ENV: &str = "ZKCONSENT_PASSPHRASE_FILE";
/// The new passphrase for `wallet seal` and `wallet passphrase`.
pub const NEW_PASSPHRASE_ENV: &str = "ZKCONSENT_NEW_PASSPHRASE";

/// Installs [`source`] for every home this process creates or opens.
pub fn install() {
    install_passphrase_source(Box::new(source));
}

fn source(purpose: PassphraseFor<'_>) -> Result<Option<Passphrase>, String> {
    let (path, new) = match purpose {
        PassphraseFor::NewWallet(path) => (path, true),
        PassphraseFor::OpenWallet(path) => (path, false),
    };
    let passphrase = match from_env(PASSPHRASE_ENV)? {
        Some(p) => p,
        None => match from_file_env()? {
            Some(p) => p,
            None => prompt(path, new)?,
        },
    };
    if new {
        passphrase
            .check_for_new_wallet()
            .map_err(|e| e.to_string())?;
    }
    Ok(Some(passphrase))
}

/// The new passphrase `wallet seal` and `wallet passphrase` set.
pub fn new_passphrase(path: &Path) -> Result<Passphrase, String> {
    let passphrase = match from_env(NEW_PASSPHRASE_ENV)? {
        Some(p) => p,
        None => prompt(path, true)?,
    };
    passphrase
        .check_for_new_wallet()
        .map_err(|e| e.to_string())?;
    Ok(passphrase)
}

fn from_env(name: &str) -> Result<Option<Passphrase>, String> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(value) => {
            let text = value
                .into_string()
                .map_err(|_| format!("{name} is not UTF-8"))?;
            Passphrase::new(text)
                .map(Some)
                .map_err(|e| format!("{name}: {e}"))
        }
    }
}

fn from_file_env() -> Result<Option<Passphrase>, String> {
    let Some(file) = std::env::var_os(PASSPHRASE_FILE_ENV) else {
        return Ok(None);
    };
    let bound = MAX_PASSPHRASE_BYTES + 2;
    let bytes = zkconsent::files::read_limited(Path::new(&file), bound)
        .map_err(|e| format!("{PASSPHRASE_FILE_ENV}: {e}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{PASSPHRASE_FILE_ENV}: the file is not UTF-8"))?;
    let passphrase =
        Passphrase::new(first_line(text)).map_err(|e| format!("{PASSPHRASE_FILE_ENV}: {e}"))?;
    Ok(Some(passphrase))
}

/// The first line without its line ending; the rest is cleared from memory.
fn first_line(mut text: String) -> String {
    let end = text.find(['\n', '\r']).unwrap_or(text.len());
    let line = text[..end].to_owned();
    zeroize_string(&mut text);
    line
}

fn zeroize_string(text: &mut String) {
    use zkconsent::wallet::zeroize::Zeroize;
    text.zeroize();
}

fn prompt(path: &Path, new: bool) -> Result<Passphrase, String> {
    if !std::io::stdin().is_terminal() {
        return Err(if new {
            format!(
                "the new wallet {} is encrypted under a passphrase: set {PASSPHRASE_ENV} (or \
                 {PASSPHRASE_FILE_ENV}) or run in a terminal",
                path.display()
            )
        } else {
            format!(
                "the wallet {} is encrypted: set {PASSPHRASE_ENV} (or {PASSPHRASE_FILE_ENV}) or \
                 run in a terminal",
                path.display()
            )
        });
    }
    let ask = |text: String| rpassword::prompt_password(text).map_err(|e| e.to_string());
    // Held by the passphrase type from the start, so every path clears it.
    let first = Passphrase::new(ask(format!("Passphrase for {}: ", path.display()))?)
        .map_err(|e| e.to_string())?;
    if new {
        let again = Passphrase::new(ask("Again: ".to_owned())?).map_err(|e| e.to_string())?;
        if !first.same_as(&again) {
            return Err("the passphrases differ".to_owned());
        }
    }
    Ok(first)
}
