//! An instance kept in step with the others on a shared database (issue 21).
//!
//! Each instance holds two things in memory that an administrator changes
//! through one instance: the authority's keys ([`KeyRing`], reloaded by `POST
//! /v1/keys/reload` after `icaze keys rotate`) and the regimes the SMS service
//! answers by (`/admin/regime`). The instance that takes the call counts the
//! change in the database ([`PermitStore::trust_list_reloaded`], and
//! [`PermitStore::put_regime`] in its own transaction); every instance reads
//! those counts ([`PermitStore::generations`], one row) every few seconds and,
//! when they moved, reloads the keys from its own key directory and the regimes
//! from the store. Polling rather than LISTEN/NOTIFY: one small read a few
//! seconds, and no notification to lose while a connection is down.
//!
//! The keys are never sent through the database: each instance reads its own
//! `--keys` directory, which the operator updated before the reload call. An
//! instance whose directory is still older than the trust list put in force
//! says so in its log (once for each version it lacks) and tries again at every
//! poll. Between the call and an instance's next poll, that instance still signs
//! with the keys it had (a few seconds; a revoked key's permits are refused by
//! the devices once their bundle has the new trust list, whichever instance
//! signed them).

use std::sync::Arc;
use std::time::Duration;

use icaze_permits::keys::KeyRing;
use icaze_permits::store::{Generations, PermitStore, StoreError};

/// Reads the regimes from the store again (the SMS service's
/// `reload_regimes`).
pub type RegimeReload = Box<dyn Fn() -> Result<(), StoreError> + Send + Sync>;

/// What one [`Follower::step`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Followed {
    /// The regimes were read again.
    pub regimes: bool,
    /// The key directory was loaded again: the trust list version now in force.
    pub trust_list: Option<u64>,
}

/// One instance's view of what the others changed.
pub struct Follower<S: PermitStore> {
    store: Arc<S>,
    keys: Arc<KeyRing>,
    reload_regimes: RegimeReload,
    /// The counts as they were when this instance last loaded what they count.
    seen: Generations,
    /// The trust list version put in force that this instance's key
    /// directory did not have at the last warning, so each is told once.
    lacking: Option<u64>,
}

impl<S: PermitStore> Follower<S> {
    /// A follower of `store` for an instance that loaded its regimes after
    /// the store's counts were `seen`.
    pub fn new(store: Arc<S>, keys: Arc<KeyRing>, reload_regimes: RegimeReload, seen: Generations) -> Self {
        Self { store, keys, reload_regimes, seen, lacking: None }
    }

    /// Reads the counts once and loads again what another instance changed.
    pub fn step(&mut self) -> Result<Followed, StoreError> {
        let now = self.store.generations()?;
        let mut followed = Followed::default();
        if now.regimes != self.seen.regimes {
            // Counted before the reading: a regime stored meanwhile is read
            // now or at the next step.
            (self.reload_regimes)()?;
            self.seen.regimes = now.regimes;
            followed.regimes = true;
            tracing::info!(generation = now.regimes, "regimes loaded again: another instance stored one");
        }
        let own = self.keys.current().trust_list().version();
        if now.trust_list > own {
            match self.keys.reload() {
                Ok(reloaded) => {
                    if reloaded.to_version > own {
                        followed.trust_list = Some(reloaded.to_version);
                        tracing::info!(
                            from = reloaded.from_version,
                            to = reloaded.to_version,
                            revoked = ?reloaded.newly_revoked,
                            "keys loaded again: another instance put a new trust list in force"
                        );
                    }
                    if reloaded.to_version < now.trust_list {
                        self.lacking(now.trust_list, &format!("it has version {}", reloaded.to_version));
                    }
                }
                Err(e) => self.lacking(now.trust_list, &e.to_string()),
            }
        }
        Ok(followed)
    }

    fn lacking(&mut self, version: u64, why: &str) {
        if self.lacking != Some(version) {
            self.lacking = Some(version);
            tracing::error!(
                version,
                why,
                "another instance put trust list version {version} in force and this instance's key directory does \
                 not load it: copy the new key files (without the root key) to this instance; it tries again by itself"
            );
        }
    }
}

/// Every `every`, a [`Follower::step`], until `stop`.
pub(crate) async fn follow<S: PermitStore>(
    mut follower: Follower<S>,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut failing = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let stepped = tokio::task::spawn_blocking(move || {
            let result = follower.step();
            (follower, result)
        })
        .await;
        match stepped {
            Ok((back, result)) => {
                follower = back;
                match result {
                    Ok(_) => failing = false,
                    // Said once an outage: `/healthz` says the rest.
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "reading what the other instances changed failed; tried again");
                    }
                    Err(_) => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "following the other instances stopped");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::{SmsConfig, SmsService};
    use crate::sqlite::{SqliteConfig, SqlitePermitStore};
    use icaze_authority::{Authority, InitOptions};
    use icaze_core::{Purpose, UtcMinute};

    fn now() -> UtcMinute {
        UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").unwrap()
    }

    /// Two instances' key rings and SMS services on one store, the second
    /// following the first.
    struct Two {
        dir: tempfile::TempDir,
        store: Arc<SqlitePermitStore>,
        rings: [Arc<KeyRing>; 2],
        sms: [Arc<SmsService<SqlitePermitStore>>; 2],
        follower: Follower<SqlitePermitStore>,
    }

    fn two() -> Two {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        Authority::init(&keys, now(), &InitOptions::default()).unwrap();
        let store = Arc::new(SqlitePermitStore::open(&dir.path().join("icaze.db"), SqliteConfig::default()).unwrap());
        let rings = [Arc::new(KeyRing::load(&keys).unwrap()), Arc::new(KeyRing::load(&keys).unwrap())];
        let seen = store.generations().unwrap();
        let sms = rings
            .clone()
            .map(|ring| Arc::new(SmsService::new(store.clone(), ring, None, SmsConfig::default()).unwrap()));
        let reloads = sms[1].clone();
        let follower = Follower::new(store.clone(), rings[1].clone(), Box::new(move || reloads.reload_regimes()), seen);
        Two { dir, store, rings, sms, follower }
    }

    #[tokio::test]
    async fn a_regime_stored_by_one_instance_is_loaded_by_the_other() {
        let mut two = two();
        assert_eq!(two.follower.step().unwrap(), Followed::default(), "nothing moved yet");
        let regime = crate::regime::Regime::from_toml(include_str!("../../../regimes/2020-12-14.toml")).unwrap();
        assert!(two.sms[1].regime_at(regime.start).is_none());
        two.sms[0].load_regime(include_str!("../../../regimes/2020-12-14.toml")).unwrap();
        assert!(two.sms[1].regime_at(regime.start).is_none(), "not before the follower's step");
        assert_eq!(two.follower.step().unwrap(), Followed { regimes: true, trust_list: None });
        assert_eq!(two.sms[1].regime_at(regime.start).map(|r| r.id.clone()), Some(regime.id));
        assert_eq!(two.follower.step().unwrap(), Followed::default(), "once");
    }

    #[tokio::test]
    async fn a_key_reload_through_one_instance_reloads_the_other_s_directory() {
        let mut two = two();
        let keys = two.dir.path().join("keys");
        Authority::rotate(&keys, "sms", now(), &InitOptions::default()).unwrap();
        // The instance that took the call reloads and counts the version.
        let reloaded = two.rings[0].reload().unwrap();
        assert_eq!(reloaded.to_version, 2);
        assert_eq!(two.rings[1].current().trust_list().version(), 1);
        two.store.trust_list_reloaded(reloaded.to_version).unwrap();
        assert_eq!(two.follower.step().unwrap(), Followed { regimes: false, trust_list: Some(2) });
        let signer = |ring: &KeyRing| ring.current().signing_key(Purpose::Medical, now()).map(|(id, _)| id.0);
        assert_eq!(signer(&two.rings[1]), signer(&two.rings[0]));
        assert_ne!(signer(&two.rings[1]), Some(1), "the revoked key signs no more");
        assert_eq!(two.follower.step().unwrap(), Followed::default(), "once");
    }

    #[tokio::test]
    async fn an_instance_whose_directory_lacks_the_new_keys_keeps_its_own_and_tries_again() {
        let mut two = two();
        // Another instance put version 2 in force; this one's directory still has version 1.
        two.store.trust_list_reloaded(2).unwrap();
        assert_eq!(two.follower.step().unwrap(), Followed::default());
        assert_eq!(two.rings[1].current().trust_list().version(), 1);
        assert_eq!(two.follower.lacking, Some(2), "said once");
        // The operator copies the new files: the next step takes them.
        Authority::rotate(&two.dir.path().join("keys"), "sms", now(), &InitOptions::default()).unwrap();
        assert_eq!(two.follower.step().unwrap(), Followed { regimes: false, trust_list: Some(2) });
        assert_eq!(two.rings[1].current().trust_list().version(), 2);
    }
}
