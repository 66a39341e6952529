//! `zkconsent wallet`: the wallet's encryption at rest.

use super::{Cli, Failure, WalletCommand};
use crate::context::open_only;
use crate::output::Out;
use crate::passphrase::new_passphrase;
use serde_json::json;
use zkconsent::{
    home::WALLET_FILE,
    wallet::{Wallet, WalletError},
};

/// An unusable wallet (damaged, locked) is exit 2; a retryable failure (busy) is 1.
fn wallet_failure(e: WalletError) -> Failure {
    if e.is_unusable() {
        Failure::malformed(e)
    } else {
        Failure::refused(e)
    }
}

pub fn run(cli: &Cli, command: &WalletCommand, out: &mut Out) -> Result<(), Failure> {
    let path = cli.home.join(WALLET_FILE);
    match command {
        WalletCommand::Seal => {
            if Wallet::file_is_sealed(&path).map_err(Failure::malformed)? {
                return Err(Failure::malformed(format!(
                    "{} is sealed already (`zkconsent wallet passphrase` changes its passphrase)",
                    path.display()
                )));
            }
            let passphrase = new_passphrase(&path).map_err(Failure::malformed)?;
            Wallet::seal_file(&path, &passphrase).map_err(wallet_failure)?;
            out.result(
                &format!("sealed {}", path.display()),
                json!({ "ok": true, "wallet": path.display().to_string(), "sealed": true }),
            );
        }
        WalletCommand::Passphrase => {
            let mut home = open_only(cli)?;
            if !home.wallet()?.is_sealed() {
                return Err(Failure::malformed(format!(
                    "{} is not sealed: `zkconsent wallet seal` seals it",
                    path.display()
                )));
            }
            let passphrase = new_passphrase(&path).map_err(Failure::malformed)?;
            home.wallet_mut()?
                .change_passphrase(&passphrase)
                .map_err(wallet_failure)?;
            out.result(
                &format!("new passphrase set for {}", path.display()),
                json!({ "ok": true, "wallet": path.display().to_string(), "sealed": true }),
            );
        }
    }
    Ok(())
}
