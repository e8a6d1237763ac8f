//! The authority's keys as the running service holds them: loaded from the
//! key directory at start, and loaded again without a restart after
//! `icaze keys rotate` replaced a stolen key (`POST /v1/keys/reload`).
//!
//! Every service holds the same [`KeyRing`] and takes [`KeyRing::current`]
//! for each permit or bundle it signs, so that after a reload no new
//! permit is signed by a revoked key and the next bundle carries the new
//! trust list.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use icaze_authority::{Authority, AuthorityError};
use icaze_core::KeyId;

/// The authority in force, replaceable while the service runs.
pub struct KeyRing {
    dir: PathBuf,
    current: RwLock<Arc<Authority>>,
}

/// Why a reload was refused; the keys in force stay.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReloadError {
    /// The directory does not load.
    #[error("{0}")]
    Authority(#[from] AuthorityError),
    /// The directory's root is another one: devices pin the root, so such
    /// keys would be refused by every device.
    #[error("the key directory now has another root key than the one the service started with: devices pin the root, so this is refused; restore root.public")]
    OtherRoot,
    /// The trust list is older than the one in force.
    #[error("the trust list in the key directory is version {found}, older than version {current} in force: refused (a rollback would bring revoked keys back)")]
    Rollback {
        /// The version found.
        found: u64,
        /// The version in force.
        current: u64,
    },
}

/// What a reload changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// The trust list version before.
    pub from_version: u64,
    /// The trust list version now.
    pub to_version: u64,
    /// Keys revoked in the new list that were not revoked before.
    pub newly_revoked: Vec<KeyId>,
}

impl KeyRing {
    /// Loads the key directory.
    pub fn load(dir: &Path) -> Result<Self, AuthorityError> {
        let authority = Authority::load(dir)?;
        Ok(Self { dir: dir.to_owned(), current: RwLock::new(Arc::new(authority)) })
    }

    /// The authority in force.
    pub fn current(&self) -> Arc<Authority> {
        // A poisoned lock still holds a whole Arc: the writer only swaps it.
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the directory again and puts it in force if it has the same
    /// root and a trust list at least as new.
    pub fn reload(&self) -> Result<Reloaded, ReloadError> {
        let fresh = Authority::load(&self.dir)?;
        let old = self.current();
        if fresh.root_public_key() != old.root_public_key() {
            return Err(ReloadError::OtherRoot);
        }
        let (from_version, to_version) = (old.trust_list().version(), fresh.trust_list().version());
        if to_version < from_version {
            return Err(ReloadError::Rollback { found: to_version, current: from_version });
        }
        let newly_revoked = fresh
            .trust_list()
            .keys()
            .iter()
            .filter(|k| k.revoked && !old.trust_list().key(k.id).is_some_and(|o| o.revoked))
            .map(|k| k.id)
            .collect();
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::new(fresh),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(fresh),
        }
        Ok(Reloaded { from_version, to_version, newly_revoked })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use icaze_authority::InitOptions;
    use icaze_core::{Purpose, UtcMinute};

    #[test]
    fn a_reload_takes_a_rotation_and_refuses_a_rollback() {
        let dir = tempfile::tempdir().unwrap();
        let now = UtcMinute::parse_rfc3339("2020-12-14T00:00:00+04:00").unwrap();
        Authority::init(dir.path(), now, &InitOptions::default()).unwrap();
        let ring = KeyRing::load(dir.path()).unwrap();
        let before = std::fs::read(dir.path().join("trustlist")).unwrap();
        Authority::rotate(dir.path(), "sms", now, &InitOptions::default()).unwrap();
        assert_eq!(ring.current().signing_key(Purpose::Medical, now).map(|(id, _)| id.0), Some(1), "not yet");
        let reloaded = ring.reload().unwrap();
        assert_eq!(reloaded, Reloaded { from_version: 1, to_version: 2, newly_revoked: vec![KeyId(1)] });
        assert_eq!(ring.current().signing_key(Purpose::Medical, now).map(|(id, _)| id.0), Some(5));
        assert_eq!(ring.reload().unwrap().newly_revoked, [], "nothing new the second time");

        std::fs::write(dir.path().join("trustlist"), before).unwrap();
        assert!(matches!(ring.reload(), Err(ReloadError::Rollback { found: 1, current: 2 })));
        assert_eq!(ring.current().trust_list().version(), 2, "the keys in force stay");
    }
}
