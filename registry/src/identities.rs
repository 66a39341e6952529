//! The public directory of identities: name, role and public id (never a secret).

use super::{write_tx, Registry, RegistryError};
use zkconsent_circuits::types::IdentityId;
use zkconsent_store::identity::is_name_taken;
pub use zkconsent_store::identity::{is_valid_name, Role, UnknownRole, MAX_NAME_BYTES};
use zkconsent_store::{
    codec::{fr_col, fr_to_blob, text_col},
    CorruptValue,
};

/// A registered identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityRecord {
    /// Unique name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Public id, `H_identity(secret)`.
    pub id: IdentityId,
}

impl IdentityRecord {
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, RegistryError> {
        let role = text_col(row, 1, "identities.role")?
            .parse()
            .map_err(|_| CorruptValue::new("identities.role", "unknown role"))?;
        Ok(Self {
            name: text_col(row, 0, "identities.name")?,
            role,
            id: IdentityId(fr_col(row, 2, "identities.id")?),
        })
    }
}

impl Registry {
    /// Registers a public identity under a unique name.
    ///
    /// # Errors
    ///
    /// [`RegistryError::InvalidName`], [`RegistryError::DuplicateIdentity`], or a database
    /// error.
    pub fn register_identity(
        &mut self,
        name: &str,
        role: Role,
        id: IdentityId,
    ) -> Result<(), RegistryError> {
        if !is_valid_name(name) {
            return Err(RegistryError::InvalidName);
        }
        self.checked_for_writing()?;
        let tx = write_tx(&mut self.conn)?;
        if is_name_taken(&tx, name)? {
            return Err(RegistryError::DuplicateIdentity(name.to_owned()));
        }
        tx.execute(
            "INSERT INTO identities (name, role, id) VALUES (?1, ?2, ?3)",
            (name, role.as_str(), fr_to_blob(&id.0)),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The identity registered under `name`, if any.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn identity(&self, name: &str) -> Result<Option<IdentityRecord>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, role, id FROM identities WHERE name = ?1")?;
        let mut rows = stmt.query([name])?;
        match rows.next()? {
            Some(row) => Ok(Some(IdentityRecord::from_row(row)?)),
            None => Ok(None),
        }
    }

    /// Every registered identity, by name.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn identities(&self) -> Result<Vec<IdentityRecord>, RegistryError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, role, id FROM identities ORDER BY name")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(IdentityRecord::from_row(row)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_support::temp_registry;
    use ark_bn254::Fr;

    #[test]
    fn identities_round_trip_and_names_are_unique() {
        let (_dir, path, mut reg) = temp_registry(4);
        let alice = IdentityId(Fr::from(11u64));
        let bob = IdentityId(Fr::from(22u64));
        reg.register_identity("alice", Role::Patient, alice)
            .unwrap();
        reg.register_identity("dr bob", Role::Clinician, bob)
            .unwrap();
        assert!(matches!(
            reg.register_identity("alice", Role::Verifier, bob),
            Err(RegistryError::DuplicateIdentity(n)) if n == "alice"
        ));
        for bad in ["", " alice", "a\u{1b}[2J", &"x".repeat(129)] {
            assert!(matches!(
                reg.register_identity(bad, Role::Patient, alice),
                Err(RegistryError::InvalidName)
            ));
        }
        drop(reg);
        let reg = Registry::open(&path).unwrap();
        let got = reg.identity("alice").unwrap().unwrap();
        assert_eq!((got.role, got.id), (Role::Patient, alice));
        assert!(reg.identity("carol").unwrap().is_none());
        let names: Vec<_> = reg
            .identities()
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, ["alice", "dr bob"]);
        assert_eq!("clinician".parse::<Role>(), Ok(Role::Clinician));
        assert!("admin".parse::<Role>().is_err());
    }
}
