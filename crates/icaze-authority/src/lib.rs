//! The issuing authority's key directory: the offline root key, the issuer
//! keys, the root-signed trust list and the serial counter, as files.
//!
//! ```
//! use icaze_authority::{Authority, InitOptions};
//! use icaze_core::{UtcMinute, Purpose};
//!
//! let dir = tempfile::tempdir()?;
//! let now = UtcMinute::parse_rfc3339("2020-12-14T00:00:00+04:00")?;
//! Authority::init(dir.path(), now, &InitOptions::default())?;
//! let authority = Authority::load(dir.path())?;
//! let (key_id, _key) = authority.signing_key(Purpose::Medical, now).expect("the SMS key signs code 1");
//! assert_eq!(key_id.0, 1);
//! assert_eq!(authority.next_serial()?.0, 1);
//! assert_eq!(authority.next_serial()?.0, 2);
//! let (bundle_key_id, _key) = authority.bundle_key(now).expect("the sync key signs bundles");
//! assert_eq!(bundle_key_id.0, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Layout of the directory (see `docs/token-format.md` for the trust list):
//!
//! | file | content | mode |
//! |---|---|---|
//! | `root.secret` | the root key; move it offline after `init` | 0600 |
//! | `root.public` | the root public key, pinned in officer devices | 0644 |
//! | `sms.secret`, `portal.secret`, `callcentre.secret` | issuer keys | 0600 |
//! | `sync.secret` | the online key that signs sync bundles (key 4) | 0600 |
//! | `trustlist` | the trust list signed by the root | 0644 |
//! | `next-serial` | the next permit serial number | 0600 |
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod keyfile;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use icaze_core::{
    BundleContents, BundleError, KeyId, PermitSerial, PublicKey, Purpose, PurposeSet, SecretKey, TrustList, TrustedKey,
    UtcMinute,
};

pub use keyfile::{read_public_key, write_public_key_text, KeyFileError};

/// The issuer roles `init` creates, with their key ids and what they may sign.
pub const ISSUER_ROLES: [(&str, u8, &[Purpose]); 3] = [
    ("sms", 1, &[Purpose::Medical, Purpose::Necessities]),
    ("portal", 2, &[Purpose::Work, Purpose::BusinessTrip]),
    ("callcentre", 3, &[Purpose::Funeral]),
];

/// The role and key id of the key `init` creates to sign sync bundles: no
/// permit purposes, flag "may sign sync bundles" in the trust list.
pub const BUNDLE_ROLE: (&str, u8) = ("sync", 4);

/// Choices for a new authority.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// How long the issuer keys and the bundle key may sign, from `now`.
    pub issuer_valid_days: u32,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self { issuer_valid_days: 400 }
    }
}

/// What went wrong with the key directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `init` found keys already there.
    #[error("{0} already holds an authority: refusing to overwrite its keys (choose an empty directory)")]
    AlreadyExists(PathBuf),
    /// A key file is damaged.
    #[error("{path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: KeyFileError,
    },
    /// The trust list does not verify against the root, or is damaged.
    #[error("{path}: {source}")]
    TrustList {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: icaze_core::TrustListError,
    },
    /// The serial counter is damaged or exhausted.
    #[error("{0}: the serial counter is damaged or exhausted")]
    Serial(PathBuf),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    /// No key in the directory may sign sync bundles at the bundle's server time.
    #[error("{0} has no key that may sign sync bundles at the bundle's server time: it needs sync.secret and a trust list that flags its key (made by `icaze keys init`)")]
    NoBundleKey(PathBuf),
    /// Rotating a key needs the root key, which is kept offline.
    #[error("{0} has no root.secret: rotating a key needs the root key, which signs the new trust list; bring it back from offline storage for this step (or run the rotation where it is kept)")]
    NoRootKey(PathBuf),
    /// The role named is not one the directory has.
    #[error("no key of role {0:?} in this directory: the roles are sms, portal, callcentre and sync")]
    UnknownRole(String),
    /// Every key id is taken.
    #[error("the trust list has no free key id left (255 keys): start a new authority")]
    NoFreeKeyId,
    /// The bundle's contents break the bundle format's rules.
    #[error("the sync bundle cannot be made: {0}")]
    Bundle(BundleError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AuthorityError + '_ {
    move |source| AuthorityError::Io { path: path.to_owned(), source }
}

/// A loaded authority directory.
pub struct Authority {
    dir: PathBuf,
    trust: TrustList,
    // Invariant: the bytes `trust` was verified from.
    trust_file: Vec<u8>,
    root_public: PublicKey,
    // The secret keys present: the permit issuers and the bundle key. What
    // each may sign is read from `trust`, never from the file's role name.
    issuers: Vec<(KeyId, SecretKey)>,
}

impl Authority {
    /// Creates a new authority in `dir` (created if missing; must hold no keys):
    /// a root key, one issuer key per role of [`ISSUER_ROLES`] and the bundle key
    /// of [`BUNDLE_ROLE`], valid from `now`, and trust list version 1.
    pub fn init(dir: &Path, now: UtcMinute, options: &InitOptions) -> Result<(), AuthorityError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        if dir.join("root.secret").exists() || dir.join("trustlist").exists() {
            return Err(AuthorityError::AlreadyExists(dir.to_owned()));
        }
        let root = new_secret_key()?;
        let valid_until = now
            .checked_add(options.issuer_valid_days.saturating_mul(24 * 60))
            .unwrap_or(UtcMinute::from_unix_minutes(u32::MAX));
        let mut trusted = Vec::new();
        let (bundle_role, bundle_id) = BUNDLE_ROLE;
        let roles = ISSUER_ROLES
            .iter()
            .map(|&(role, id, purposes)| (role, id, PurposeSet::of(purposes), false))
            .chain([(bundle_role, bundle_id, PurposeSet::default(), true)]);
        for (role, id, purposes, may_sign_bundles) in roles {
            let key = new_secret_key()?;
            trusted.push(TrustedKey {
                id: KeyId(id),
                public_key: key.public_key(),
                valid_from: now,
                valid_until,
                purposes,
                revoked: false,
                may_sign_bundles,
                label: role.to_owned(),
            });
            write_new(
                &dir.join(format!("{role}.secret")),
                keyfile::secret_key_text(role, KeyId(id), &key).as_bytes(),
                0o600,
            )?;
        }
        // Invariant: four keys with distinct ids and short ASCII labels.
        let trust = TrustList::new(1, now, trusted)
            .map_err(|source| AuthorityError::TrustList { path: dir.join("trustlist"), source })?;
        write_new(&dir.join("trustlist"), &trust.sign(&root), 0o644)?;
        write_new(&dir.join("root.public"), write_public_key_text("root", &root.public_key()).as_bytes(), 0o644)?;
        write_new(&dir.join("next-serial"), b"1\n", 0o600)?;
        write_new(&dir.join("root.secret"), keyfile::secret_key_text("root", KeyId(0), &root).as_bytes(), 0o600)?;
        Ok(())
    }

    /// Loads `dir`: the root public key, the trust list (checked against it),
    /// and the issuer and bundle secret keys that are present (a directory made
    /// before the bundle key existed simply has none). The root secret key is
    /// not needed and not read.
    pub fn load(dir: &Path) -> Result<Self, AuthorityError> {
        let root_path = dir.join("root.public");
        let root_public = read_public_key(&fs::read_to_string(&root_path).map_err(io(&root_path))?)
            .map_err(|source| AuthorityError::KeyFile { path: root_path.clone(), source })?;
        let trust_path = dir.join("trustlist");
        let bytes = fs::read(&trust_path).map_err(io(&trust_path))?;
        let trust = TrustList::verify_bytes(&bytes, &root_public)
            .map_err(|source| AuthorityError::TrustList { path: trust_path, source })?;
        let mut issuers = Vec::new();
        let roles = ISSUER_ROLES.iter().map(|(role, _, _)| *role).chain([BUNDLE_ROLE.0]);
        for role in roles {
            let path = dir.join(format!("{role}.secret"));
            match fs::read_to_string(&path) {
                Ok(text) => {
                    let (id, key) = keyfile::read_secret_key(&text)
                        .map_err(|source| AuthorityError::KeyFile { path: path.clone(), source })?;
                    issuers.push((id, key));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path)(e)),
            }
        }
        Ok(Self { dir: dir.to_owned(), trust, trust_file: bytes, root_public, issuers })
    }

    /// The trust list.
    pub fn trust_list(&self) -> &TrustList {
        &self.trust
    }

    /// The trust list file, as the root signed it (what sync bundles embed).
    pub fn trust_list_file(&self) -> &[u8] {
        &self.trust_file
    }

    /// The root public key.
    pub fn root_public_key(&self) -> &PublicKey {
        &self.root_public
    }

    /// An issuer key present in the directory that the trust list allows to
    /// sign `purpose` at `at`.
    pub fn signing_key(&self, purpose: Purpose, at: UtcMinute) -> Option<(KeyId, &SecretKey)> {
        let allowed = |id: KeyId| {
            self.trust.key(id).is_some_and(|k| {
                !k.revoked && k.purposes.contains(purpose) && (k.valid_from..k.valid_until).contains(&at)
            })
        };
        self.issuers
            .iter()
            .find(|(id, key)| allowed(*id) && self.trust.key(*id).is_some_and(|k| k.public_key == key.public_key()))
            .map(|(id, key)| (*id, key))
    }

    /// The key present in the directory that the trust list allows to sign
    /// sync bundles at `at`: flagged `may_sign_bundles`, not revoked, valid at
    /// `at`, and with the public key the list names.
    pub fn bundle_key(&self, at: UtcMinute) -> Option<(KeyId, &SecretKey)> {
        let allowed = |id: KeyId, key: &SecretKey| {
            self.trust.key(id).is_some_and(|k| {
                k.may_sign_bundles
                    && !k.revoked
                    && (k.valid_from..k.valid_until).contains(&at)
                    && k.public_key == key.public_key()
            })
        };
        self.issuers.iter().find(|(id, key)| allowed(*id, key)).map(|(id, key)| (*id, key))
    }

    /// Signs `contents` as a sync bundle with [`Authority::bundle_key`] at the
    /// bundle's server time, after checking the contents against the bundle
    /// format (`BundleContents::try_sign`). The caller puts the trust list in
    /// the contents, usually [`Authority::trust_list_file`].
    pub fn sign_bundle(&self, contents: &BundleContents) -> Result<Vec<u8>, AuthorityError> {
        let at = i64::try_from(contents.server_time_unix_seconds).ok().and_then(UtcMinute::from_unix_seconds);
        let (id, key) =
            at.and_then(|at| self.bundle_key(at)).ok_or_else(|| AuthorityError::NoBundleKey(self.dir.clone()))?;
        contents.try_sign(key, id).map_err(AuthorityError::Bundle)
    }

    /// Takes the next serial number, persisting the counter before returning
    /// it (write to a temporary file, sync, rename), so a crash never hands out
    /// a serial twice. Not safe for concurrent processes: one issuer process
    /// per directory (the server keeps its own counter in its database).
    pub fn next_serial(&self) -> Result<PermitSerial, AuthorityError> {
        let path = self.dir.join("next-serial");
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let serial: u32 = text.trim().parse().map_err(|_| AuthorityError::Serial(path.clone()))?;
        let next = serial.checked_add(1).ok_or_else(|| AuthorityError::Serial(path.clone()))?;
        let tmp = self.dir.join("next-serial.tmp");
        // A temporary file left by a crash between write and rename is stale.
        match fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&tmp)(e)),
            _ => {}
        }
        write_new(&tmp, format!("{next}\n").as_bytes(), 0o600)?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(PermitSerial(serial))
    }
}

/// What [`Authority::rotate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The key now flagged revoked in the trust list.
    pub revoked: KeyId,
    /// The new key of the same role, purposes and flags.
    pub new_key: KeyId,
    /// The new trust list's version.
    pub version: u64,
}

impl Authority {
    /// Replaces the key of `role` (a stolen or suspect key): a new key with the
    /// next free id, the same purposes and flags, valid from `now` until the
    /// old key's end (or `options.issuer_valid_days` from now if that is
    /// past); the old key stays in the trust list **flagged revoked**, so that
    /// every token it ever signed stops verifying (a thief can write any issue
    /// time, so no cut-off time would do); the list's version goes up by one,
    /// signed by the root key, which must be in `dir` for this step.
    ///
    /// Crash-safe and resumable: the new secret and the new list are written
    /// to `*.new` files and synced first, then renamed over the old ones, the
    /// trust list last but one; a rotation interrupted between the renames
    /// is finished by running it again, which then rotates nothing new.
    /// The old secret file is replaced, not kept.
    pub fn rotate(dir: &Path, role: &str, now: UtcMinute, options: &InitOptions) -> Result<Rotation, AuthorityError> {
        let root_path = dir.join("root.secret");
        let root = match fs::read_to_string(&root_path) {
            Ok(text) => {
                keyfile::read_secret_key(&text).map_err(|source| AuthorityError::KeyFile { path: root_path, source })?.1
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AuthorityError::NoRootKey(dir.to_owned()))
            }
            Err(e) => return Err(io(&root_path)(e)),
        };
        let authority = Self::load(dir)?;
        let secret_path = dir.join(format!("{role}.secret"));
        let pending_path = dir.join(format!("{role}.secret.new"));
        let trust_path = dir.join("trustlist");
        let pending_trust = dir.join("trustlist.new");
        if !ISSUER_ROLES.iter().any(|(r, _, _)| *r == role) && role != BUNDLE_ROLE.0 {
            return Err(AuthorityError::UnknownRole(role.to_owned()));
        }
        // A rotation that stopped after the trust list was renamed: its new
        // key is in the list, its secret still waits in `.new`.
        if let Ok(text) = fs::read_to_string(&pending_path) {
            let (id, key) = keyfile::read_secret_key(&text)
                .map_err(|source| AuthorityError::KeyFile { path: pending_path.clone(), source })?;
            if authority.trust.key(id).is_some_and(|k| k.public_key == key.public_key() && !k.revoked) {
                fs::rename(&pending_path, &secret_path).map_err(io(&secret_path))?;
                sync_dir(dir)?;
                let revoked = authority
                    .trust
                    .keys()
                    .iter()
                    .filter(|k| k.revoked && k.label == role)
                    .map(|k| k.id)
                    .max()
                    .unwrap_or(id);
                return Ok(Rotation { revoked, new_key: id, version: authority.trust.version() });
            }
            // Written before a crash that came before the list: start again.
            fs::remove_file(&pending_path).map_err(io(&pending_path))?;
        }
        let old_text = fs::read_to_string(&secret_path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                AuthorityError::UnknownRole(role.to_owned())
            } else {
                io(&secret_path)(e)
            }
        })?;
        let (old_id, _) = keyfile::read_secret_key(&old_text)
            .map_err(|source| AuthorityError::KeyFile { path: secret_path.clone(), source })?;
        let old = authority.trust.key(old_id).ok_or_else(|| AuthorityError::UnknownRole(role.to_owned()))?.clone();
        let new_id = authority
            .trust
            .keys()
            .iter()
            .map(|k| k.id.0)
            .max()
            .and_then(|max| max.checked_add(1))
            .map(KeyId)
            .ok_or(AuthorityError::NoFreeKeyId)?;
        let key = new_secret_key()?;
        let valid_until = if old.valid_until > now {
            old.valid_until
        } else {
            now.checked_add(options.issuer_valid_days.saturating_mul(24 * 60))
                .unwrap_or(UtcMinute::from_unix_minutes(u32::MAX))
        };
        let mut keys = authority.trust.keys().to_vec();
        for k in &mut keys {
            if k.id == old_id {
                k.revoked = true;
            }
        }
        keys.push(TrustedKey {
            id: new_id,
            public_key: key.public_key(),
            valid_from: now,
            valid_until,
            purposes: old.purposes,
            revoked: false,
            may_sign_bundles: old.may_sign_bundles,
            label: old.label.clone(),
        });
        let version = authority.trust.version() + 1;
        let trust = TrustList::new(version, now, keys)
            .map_err(|source| AuthorityError::TrustList { path: trust_path.clone(), source })?;
        let _ = fs::remove_file(&pending_trust);
        write_new(&pending_path, keyfile::secret_key_text(role, new_id, &key).as_bytes(), 0o600)?;
        write_new(&pending_trust, &trust.sign(&root), 0o644)?;
        fs::rename(&pending_trust, &trust_path).map_err(io(&trust_path))?;
        sync_dir(dir)?;
        fs::rename(&pending_path, &secret_path).map_err(io(&secret_path))?;
        sync_dir(dir)?;
        Ok(Rotation { revoked: old_id, new_key: new_id, version })
    }
}

/// Makes the renames in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), AuthorityError> {
    #[cfg(unix)]
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn new_secret_key() -> Result<SecretKey, AuthorityError> {
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::getrandom(seed.as_mut()).map_err(|e| AuthorityError::Random(e.to_string()))?;
    Ok(SecretKey::from_seed(&seed))
}

/// Writes a new file with `mode` (Unix), refusing to replace an existing one.
fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), AuthorityError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            AuthorityError::AlreadyExists(path.to_owned())
        } else {
            io(path)(e)
        }
    })?;
    file.write_all(contents).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of its own with a new authority in it (default options, now).
    fn initialised_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        Authority::init(dir.path(), now(), &InitOptions::default()).unwrap();
        dir
    }

    /// [`initialised_dir`] and its authority, loaded.
    fn initialised() -> (tempfile::TempDir, Authority) {
        let dir = initialised_dir();
        let authority = Authority::load(dir.path()).unwrap();
        (dir, authority)
    }

    fn now() -> UtcMinute {
        UtcMinute::parse_rfc3339("2020-12-14T00:00:00+04:00").unwrap()
    }

    #[test]
    fn init_writes_private_keys_owner_only_and_refuses_to_overwrite() {
        let (dir, authority) = initialised();
        authority.next_serial().unwrap();
        #[cfg(unix)]
        for name in ["root.secret", "sms.secret", "portal.secret", "callcentre.secret", "sync.secret", "next-serial"] {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.path().join(name)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
        assert!(matches!(
            Authority::init(dir.path(), now(), &InitOptions::default()),
            Err(AuthorityError::AlreadyExists(_))
        ));
    }

    #[test]
    fn each_role_signs_only_its_purposes() {
        let (_dir, authority) = initialised();
        let id = |p| authority.signing_key(p, now()).map(|(id, _)| id.0);
        assert_eq!(id(Purpose::Medical), Some(1));
        assert_eq!(id(Purpose::Necessities), Some(1));
        assert_eq!(id(Purpose::Work), Some(2));
        assert_eq!(id(Purpose::BusinessTrip), Some(2));
        assert_eq!(id(Purpose::Funeral), Some(3));
        assert_eq!(id(Purpose::Other(9)), None);
        let before = UtcMinute::from_unix_minutes(now().unix_minutes() - 1);
        assert_eq!(authority.signing_key(Purpose::Medical, before).map(|(id, _)| id), None);
    }

    #[test]
    fn the_sync_key_signs_bundles_and_no_permits() {
        let (dir, authority) = initialised();
        let (id, key) = authority.bundle_key(now()).unwrap();
        assert_eq!(id, KeyId(4));
        let listed = authority.trust_list().key(id).unwrap();
        assert!(listed.may_sign_bundles && listed.purposes.mask() == 0 && listed.label == "sync");
        assert_eq!(listed.public_key, key.public_key());
        for (_, issuer, _) in ISSUER_ROLES {
            assert!(!authority.trust_list().key(KeyId(issuer)).unwrap().may_sign_bundles, "key {issuer}");
        }
        let before = UtcMinute::from_unix_minutes(now().unix_minutes() - 1);
        assert!(authority.bundle_key(before).is_none());

        // Without its secret file the directory still loads, with no bundle key.
        fs::remove_file(dir.path().join("sync.secret")).unwrap();
        let authority = Authority::load(dir.path()).unwrap();
        assert!(authority.bundle_key(now()).is_none());
        assert!(authority.signing_key(Purpose::Medical, now()).is_some());
    }

    #[test]
    fn signed_bundles_verify_against_the_root() {
        let (_dir, authority) = initialised();
        let contents = BundleContents {
            version: 3,
            base_version: None,
            server_time_unix_seconds: now().unix_seconds() as u64,
            trust_list: authority.trust_list_file().to_vec(),
            regimes: vec![],
            freshness: icaze_core::FreshnessPolicy::default(),
            revocations: icaze_core::RevocationSet::from_serials([5, 6]),
            sections: Default::default(),
        };
        let bytes = authority.sign_bundle(&contents).unwrap();
        let verified = icaze_core::VerifiedBundle::verify(&bytes, authority.root_public_key()).unwrap();
        assert_eq!(verified.contents(), &contents);
        assert_eq!(verified.signer(), KeyId(4));

        let early = BundleContents { server_time_unix_seconds: 60, ..contents.clone() };
        assert!(matches!(authority.sign_bundle(&early), Err(AuthorityError::NoBundleKey(_))));
        let bad = BundleContents { version: 0, ..contents };
        assert!(matches!(authority.sign_bundle(&bad), Err(AuthorityError::Bundle(_))));
    }

    #[test]
    fn a_tampered_trust_list_does_not_load() {
        let dir = initialised_dir();
        let path = dir.path().join("trustlist");
        let mut bytes = fs::read(&path).unwrap();
        bytes[20] ^= 1;
        fs::write(&path, bytes).unwrap();
        assert!(matches!(Authority::load(dir.path()), Err(AuthorityError::TrustList { .. })));
    }

    #[test]
    fn rotating_a_key_revokes_it_for_every_token_and_hands_its_purposes_to_a_new_one() {
        let dir = initialised_dir();
        let before = Authority::load(dir.path()).unwrap();
        let later = now().checked_add(600).unwrap();
        let rotation = Authority::rotate(dir.path(), "portal", later, &InitOptions::default()).unwrap();
        assert_eq!(rotation, Rotation { revoked: KeyId(2), new_key: KeyId(5), version: 2 });
        let after = Authority::load(dir.path()).unwrap();
        let old = after.trust_list().key(KeyId(2)).unwrap();
        let new = after.trust_list().key(KeyId(5)).unwrap();
        assert!(old.revoked && !new.revoked);
        assert_eq!(new.purposes, old.purposes);
        assert_eq!(new.valid_until, old.valid_until);
        assert_eq!(after.signing_key(Purpose::Work, later).map(|(id, _)| id), Some(KeyId(5)));
        assert!(after.signing_key(Purpose::Work, now()).is_none(), "the new key starts at the rotation");
        assert_eq!(after.signing_key(Purpose::Medical, later).map(|(id, _)| id), Some(KeyId(1)));

        // A token of the old key, with any issue time, no longer verifies.
        let (id, key) = before.signing_key(Purpose::Work, now()).unwrap();
        let claims = icaze_core::PermitClaims::new(icaze_core::ClaimsSpec {
            serial: PermitSerial(9),
            document: icaze_core::DocumentNumber::parse("AZE12345678").unwrap(),
            purpose: Purpose::Work,
            zones: vec![icaze_core::ZoneId::new(1).unwrap()],
            issued_at: later,
            valid_from: later,
            valid_until: later.checked_add(60).unwrap(),
            vehicle: None,
        })
        .unwrap();
        let token = icaze_core::issue(key, id, &claims);
        let permit = icaze_core::UnverifiedPermit::from_bytes(token.as_bytes()).unwrap();
        assert!(before.trust_list().verify(&permit).is_ok());
        assert!(after.trust_list().verify(&permit).is_err(), "a revoked key's tokens are refused");

        // Without the root key there is no rotation.
        fs::remove_file(dir.path().join("root.secret")).unwrap();
        assert!(matches!(
            Authority::rotate(dir.path(), "sms", later, &InitOptions::default()),
            Err(AuthorityError::NoRootKey(_))
        ));
    }

    #[test]
    fn an_interrupted_rotation_is_finished_by_running_it_again() {
        let dir = initialised_dir();
        Authority::rotate(dir.path(), "sms", now(), &InitOptions::default()).unwrap();
        // As if the process died after renaming the trust list: put a pending
        // secret back, and the old (revoked) one in its place.
        let secret = dir.path().join("sms.secret");
        fs::rename(&secret, dir.path().join("sms.secret.new")).unwrap();
        let (_, old_key) = {
            let root = fs::read_to_string(dir.path().join("root.secret")).unwrap();
            keyfile::read_secret_key(&root).unwrap()
        };
        write_new(&secret, keyfile::secret_key_text("sms", KeyId(1), &old_key).as_bytes(), 0o600).unwrap();
        let again = Authority::rotate(dir.path(), "sms", now(), &InitOptions::default()).unwrap();
        assert_eq!(again, Rotation { revoked: KeyId(1), new_key: KeyId(5), version: 2 });
        let authority = Authority::load(dir.path()).unwrap();
        assert_eq!(authority.signing_key(Purpose::Medical, now()).map(|(id, _)| id), Some(KeyId(5)));
        assert!(matches!(
            Authority::rotate(dir.path(), "nobody", now(), &InitOptions::default()),
            Err(AuthorityError::UnknownRole(_))
        ));
    }

    #[test]
    fn damaged_serial_counter_is_an_error() {
        let (dir, authority) = initialised();
        fs::write(dir.path().join("next-serial"), "twelve").unwrap();
        assert!(matches!(authority.next_serial(), Err(AuthorityError::Serial(_))));
    }
}
