//! Where a home's wallet passphrase comes from. The library never reads a terminal or the
//! environment: the program embedding it (the CLI, a service) installs a source once, and
//! [`crate::home::Home`] asks it when it creates a wallet or opens a sealed one. Without a
//! source, new wallets are plain and sealed ones cannot be opened ([`WalletError::Locked`]).

use std::{path::Path, sync::RwLock};
use zkconsent_wallet::{Passphrase, WalletError};

/// What a passphrase is asked for.
#[derive(Clone, Copy, Debug)]
pub enum PassphraseFor<'a> {
    /// To create the wallet at this path (a new passphrase: confirm it if asking a person).
    NewWallet(&'a Path),
    /// To open the sealed wallet at this path.
    OpenWallet(&'a Path),
}

/// A passphrase source: `Ok(None)` means "none" (a new wallet is then plain), `Err` a
/// message saying why none could be had.
pub type PassphraseSource =
    dyn Fn(PassphraseFor<'_>) -> Result<Option<Passphrase>, String> + Send + Sync;

static SOURCE: RwLock<Option<Box<PassphraseSource>>> = RwLock::new(None);

/// Installs the source every later home creation or opening in this process asks
/// (replacing any earlier one).
pub fn install_passphrase_source(source: Box<PassphraseSource>) {
    let mut slot = SOURCE
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *slot = Some(source);
}

/// Asks the installed source; `Ok(None)` without one.
///
/// # Errors
///
/// [`WalletError::Passphrase`] with the source's message.
pub fn passphrase(purpose: PassphraseFor<'_>) -> Result<Option<Passphrase>, WalletError> {
    let slot = SOURCE
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match slot.as_ref() {
        Some(source) => source(purpose).map_err(WalletError::Passphrase),
        None => Ok(None),
    }
}

/// The passphrase to open the wallet at `path`: none for a plain wallet.
///
/// # Errors
///
/// The file unreadable, or the source's refusal.
pub fn for_opening(path: &Path) -> Result<Option<Passphrase>, WalletError> {
    if zkconsent_wallet::Wallet::file_is_sealed(path)? {
        passphrase(PassphraseFor::OpenWallet(path))
    } else {
        Ok(None)
    }
}
