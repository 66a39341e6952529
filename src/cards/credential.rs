//! Grant credentials: the opening of a grant (everything the grantee needs to prove Access
//! under it) sealed to the grantee's card, and its acceptance into the grantee's wallet.
//!
//! The file names its recipient and the recipient key's fingerprint in the clear (so a home
//! can tell at once whether it holds the key); the fingerprint is also the envelope's
//! associated data, and the opening inside names the grantee, so neither can be swapped.

use super::{seal_keypair, Card, CardError};
use crate::{
    files::{read_limited, write_private_atomic},
    home::{Home, HomeError},
    registry::{GrantStatus, Role},
    seal::{self, Envelope, Fingerprint, SealError},
    verifier::{fr_to_decimal, parse_fr_decimal},
};
use ark_bn254::Fr;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::Path;
use zkconsent_circuits::{
    grant::Grant,
    types::{GrantSalt, IdentityId, Purpose, Scope, Timestamp},
};
use zkconsent_wallet::WalletError;

/// Value of a credential file's `format`.
pub const CREDENTIAL_FORMAT: &str = "zkconsent.grant-credential";
/// Credential version this build writes and reads.
pub const CREDENTIAL_VERSION: u32 = 1;
/// HPKE `info` of a grant credential: what the sealed bytes are.
pub const CREDENTIAL_INFO: &[u8] = b"zkconsent.grant-credential.v1";
/// Value of the sealed opening's `format`.
pub const OPENING_FORMAT: &str = "zkconsent.grant-opening";
/// Largest credential file read: an opening is under a kilobyte, twice that in hex.
pub const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;

/// The credential file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialJson {
    format: String,
    version: u32,
    recipient: String,
    recipient_fingerprint: String,
    envelope: Envelope,
}

/// The sealed opening: the grant's fields, its leaf and commitment, the parties' names.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpeningJson {
    format: String,
    version: u32,
    index: u64,
    commitment: String,
    patient: String,
    patient_name: String,
    grantee: String,
    grantee_name: String,
    scope: u64,
    purpose: u64,
    not_before: u64,
    not_after: u64,
    salt: String,
}

/// A credential accepted into the wallet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// Leaf index.
    pub index: u64,
    /// The grantee: this home's identity the credential was sealed to.
    pub grantee_name: String,
    /// The patient's name as this home records it.
    pub patient_name: String,
    /// The grant (salt included; its `Debug` omits the secrets).
    pub grant: Grant,
    /// The wallet held this opening already: nothing changed.
    pub already_held: bool,
}

/// Seals the opening of grant `index` (in this home's wallet) to `card`: the bytes of the
/// credential file.
///
/// # Errors
///
/// [`CardError::NotTheGrantee`], [`CardError::NotInRegistry`] if the registry does not hold
/// it as an active grant, wallet errors (no such opening).
pub fn seal_credential<R: RngCore + CryptoRng>(
    home: &Home,
    index: u64,
    card: &Card,
    rng: &mut R,
) -> Result<Vec<u8>, HomeError> {
    let opening = home.wallet()?.grant(index)?;
    let grant = &opening.grant;
    if grant.grantee != card.id {
        return Err(CardError::NotTheGrantee {
            index,
            name: card.name.clone(),
        }
        .into());
    }
    check_active(home, index, grant)?;
    let plaintext = serde_json::to_vec(&OpeningJson {
        format: OPENING_FORMAT.into(),
        version: CREDENTIAL_VERSION,
        index,
        commitment: fr_to_decimal(&grant.commit().0),
        patient: fr_to_decimal(&grant.patient.0),
        patient_name: opening.patient_name.clone(),
        grantee: fr_to_decimal(&grant.grantee.0),
        grantee_name: card.name.clone(),
        scope: grant.scope.0,
        purpose: grant.purpose.0,
        not_before: grant.not_before.0,
        not_after: grant.not_after.0,
        salt: fr_to_decimal(&grant.salt.0),
    })
    .map_err(CardError::malformed)?;
    let fingerprint = card.fingerprint();
    let envelope = seal::seal(
        &card.seal_key,
        CREDENTIAL_INFO,
        fingerprint.as_bytes(),
        &plaintext,
        rng,
    )
    .map_err(|e| CardError::malformed(format!("cannot seal to {}'s card: {e}", card.name)))?;
    let mut bytes = serde_json::to_vec_pretty(&CredentialJson {
        format: CREDENTIAL_FORMAT.into(),
        version: CREDENTIAL_VERSION,
        recipient: card.name.clone(),
        recipient_fingerprint: fingerprint.to_hex(),
        envelope,
    })
    .map_err(CardError::malformed)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// [`seal_credential`], written to `out` (all or nothing, owner-only).
///
/// # Errors
///
/// As [`seal_credential`], and file errors ([`CardError::Malformed`]).
pub fn write_credential<R: RngCore + CryptoRng>(
    home: &Home,
    index: u64,
    card: &Card,
    out: &Path,
    rng: &mut R,
) -> Result<(), HomeError> {
    let bytes = seal_credential(home, index, card, rng)?;
    write_private_atomic(out, &bytes)
        .map_err(|e| CardError::malformed(format!("{}: {e}", out.display())))?;
    Ok(())
}

/// Reads a credential file (bounded) and [`accept`]s it.
///
/// # Errors
///
/// As [`accept`]; an unreadable file is [`CardError::Malformed`].
pub fn accept_file(home: &mut Home, path: &Path) -> Result<Accepted, HomeError> {
    let bytes = read_limited(path, MAX_CREDENTIAL_BYTES)
        .map_err(|e| CardError::malformed(e.to_string()))?;
    accept(home, &bytes)
}

/// Accepts a credential: finds this home's identity whose seal key it is sealed to, opens
/// it, checks that the opening grants that identity an active grant whose commitment is the
/// registry's leaf, and stores the opening in the wallet (a second acceptance of the same
/// credential changes nothing).
///
/// # Errors
///
/// [`CardError::Malformed`], [`CardError::NotOurs`], [`CardError::Altered`],
/// [`CardError::WrongGrantee`], [`CardError::NotInRegistry`],
/// [`CardError::ConflictingGrant`], database errors.
pub fn accept(home: &mut Home, bytes: &[u8]) -> Result<Accepted, HomeError> {
    if bytes.len() > MAX_CREDENTIAL_BYTES {
        return Err(CardError::malformed(format!(
            "credential larger than {MAX_CREDENTIAL_BYTES} bytes"
        ))
        .into());
    }
    let file: CredentialJson = serde_json::from_slice(bytes)
        .map_err(|e| CardError::malformed(format!("not a grant credential: {e}")))?;
    if file.format != CREDENTIAL_FORMAT || file.version != CREDENTIAL_VERSION {
        return Err(CardError::malformed(format!(
            "not a {CREDENTIAL_FORMAT:?} file of version {CREDENTIAL_VERSION}"
        ))
        .into());
    }
    let fingerprint = Fingerprint::from_hex(&file.recipient_fingerprint)
        .map_err(|e| CardError::malformed(format!("recipient_fingerprint: {e}")))?;
    let mut recipient = None;
    for identity in home.wallet()?.identities()? {
        let keypair = seal_keypair(&home.wallet()?.secret(&identity.name)?);
        if keypair.public_key().fingerprint() == fingerprint {
            recipient = Some((identity, keypair));
            break;
        }
    }
    let Some((identity, keypair)) = recipient else {
        return Err(CardError::NotOurs {
            recipient: printable(&file.recipient),
        }
        .into());
    };
    let plaintext = seal::open(
        &keypair,
        CREDENTIAL_INFO,
        fingerprint.as_bytes(),
        &file.envelope,
    )
    .map_err(|e| match e {
        SealError::Open => CardError::Altered {
            recipient: identity.name.clone(),
        },
        other => CardError::malformed(other),
    })?;
    let (index, grant, patient_name) = parse_opening(&plaintext)?;
    if grant.grantee != identity.id {
        return Err(CardError::WrongGrantee {
            recipient: identity.name,
        }
        .into());
    }
    check_active(home, index, &grant)?;
    let patient_name = patient_name_for(home, index, &grant, patient_name)?;
    let already_held = match home.wallet()?.grant(index) {
        Ok(held) if held.grant == grant => true,
        Ok(_) => return Err(CardError::ConflictingGrant { index }.into()),
        Err(WalletError::UnknownGrant(_)) => false,
        Err(e) => return Err(e.into()),
    };
    if !already_held {
        home.wallet_mut()?
            .add_grant(index, &grant, &patient_name, &identity.name)?;
    }
    Ok(Accepted {
        index,
        grantee_name: identity.name,
        patient_name,
        grant,
        already_held,
    })
}

/// The opening's leaf index, grant and patient name; its stated commitment must be the
/// grant's.
fn parse_opening(plaintext: &[u8]) -> Result<(u64, Grant, String), CardError> {
    let bad = |reason: String| CardError::malformed(format!("sealed opening: {reason}"));
    let o: OpeningJson = serde_json::from_slice(plaintext).map_err(|e| bad(e.to_string()))?;
    if o.format != OPENING_FORMAT || o.version != CREDENTIAL_VERSION {
        return Err(bad(format!(
            "not a {OPENING_FORMAT:?} of version {CREDENTIAL_VERSION}"
        )));
    }
    let field = |name: &str, s: &str| -> Result<Fr, CardError> {
        parse_fr_decimal(s).map_err(|e| bad(format!("{name}: {e}")))
    };
    let grant = Grant {
        patient: IdentityId(field("patient", &o.patient)?),
        grantee: IdentityId(field("grantee", &o.grantee)?),
        scope: Scope(o.scope),
        purpose: Purpose(o.purpose),
        not_before: Timestamp(o.not_before),
        not_after: Timestamp(o.not_after),
        salt: GrantSalt(field("salt", &o.salt)?),
    };
    if grant.commit().0 != field("commitment", &o.commitment)? {
        return Err(bad("the fields do not commit to its commitment".into()));
    }
    Ok((o.index, grant, o.patient_name))
}

/// The registry holds `grant`'s commitment at `index`, active.
fn check_active(home: &Home, index: u64, grant: &Grant) -> Result<(), HomeError> {
    let commitment = grant.commit();
    let not_in = |reason: &str| CardError::NotInRegistry {
        index,
        reason: reason.into(),
    };
    let record = home
        .registry
        .grant(index)?
        .ok_or_else(|| not_in("not in this home's registry (is it synced?)"))?;
    if record.commitment != commitment {
        return Err(not_in("this home's registry holds another grant at that leaf").into());
    }
    if record.status != GrantStatus::Active {
        return Err(not_in("revoked").into());
    }
    if home.registry.leaf(index)? != commitment.0 {
        return Err(not_in("the registry's tree does not hold its commitment").into());
    }
    Ok(())
}

/// The patient's name in this home: the registered patient with the grant's patient id, or
/// else the name the credential gives, if the registry does not have it for another id.
fn patient_name_for(
    home: &Home,
    index: u64,
    grant: &Grant,
    offered: String,
) -> Result<String, HomeError> {
    let registered = home
        .registry
        .identities()?
        .into_iter()
        .find(|r| r.id == grant.patient);
    match registered {
        Some(r) if r.role == Role::Patient => Ok(r.name),
        Some(r) => Err(CardError::NotInRegistry {
            index,
            reason: format!("its patient id is registered to {:?}, a {}", r.name, r.role),
        }
        .into()),
        None => match home.registry.identity(&offered)? {
            Some(_) => Err(CardError::malformed(format!(
                "the credential names the patient {offered:?}, registered here with another id"
            ))
            .into()),
            None => Ok(offered),
        },
    }
}

/// A name from a file, safe to print (the recipient field is not authenticated).
fn printable(name: &str) -> String {
    if zkconsent_store::identity::is_valid_name(name) {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}
