//! The signed sync bundle as the service serves it (`docs/sync-api.md`
//! section 5): the version counter, full bundles and deltas, and a small
//! cache of recent bundles by ETag.
//!
//! The version is kept in `sync.db`. It rises with every revocation, with
//! every change of the trust list or of the regimes a bundle carries (found
//! by a fingerprint of both when a bundle is asked for), and once a minute at
//! most when a device that holds the current version asks again: the bundle
//! format lets a device apply only a bundle newer than its own, so fresh
//! server time needs a new version (an "empty" delta on top of the old one).
//!
//! The authorised organisations (section tag 2) go whole into every full
//! bundle, and into a delta only when they changed since its base: the
//! bundle state keeps the organisations' own fingerprint and the version at
//! which it last changed ([`BundleState::organisations_version`]), and a
//! change of them raises the version as any change of the fingerprint does.
//! A device at that version or later holds the list of now (the device keeps
//! its list through a delta without the section); one below it gets the whole
//! list again. An empty list is a section too (no organisation is
//! authorised now), never left out. A version made by an instance of an
//! older build (a rolling upgrade), which writes neither, leaves them unknown
//! ([`BundleState::organisations_checked`]) until the next version, which
//! carries them to every device. Only what changed would be smaller still,
//! but the service keeps no past lists, and they change rarely.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use icaze_core::{BundleContents, BundleRegime, BundleSections, FreshnessPolicy, RevocationSet, UtcMinute};
use sha2::{Digest as _, Sha256};

use crate::store::BundleState;
use crate::{SyncError, SyncService};
use icaze_permits::regime::Regime;
use icaze_permits::store::PermitStore;

/// The most regimes a bundle holds (the format's cap).
const MAX_REGIMES: usize = 64;

/// A bundle as signed, with what names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltBundle {
    /// `"<version>.<base or f>.<unix minute>"`, quotes included.
    pub etag: String,
    /// Its version.
    pub version: u64,
    /// The version a delta applies on; `None` for a full bundle.
    pub base: Option<u64>,
    /// The signed bytes.
    pub bytes: Vec<u8>,
}

/// What `GET /v1/bundle` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleAnswer {
    /// A bundle to send.
    Bundle(Arc<BuiltBundle>),
    /// The device holds the current version, made this very minute: nothing newer exists.
    Current {
        /// That version.
        version: u64,
    },
}

/// The ETag of a bundle.
pub fn etag(version: u64, base: Option<u64>, minute: UtcMinute) -> String {
    match base {
        Some(base) => format!("\"{version}.{base}.{}\"", minute.unix_minutes()),
        None => format!("\"{version}.f.{}\"", minute.unix_minutes()),
    }
}

/// Recent bundles, newest last, at most `capacity` of them and
/// [`CACHE_BYTES`] together, and a lock so that one is built once.
pub(crate) struct Bundles {
    recent: Mutex<VecDeque<Arc<BuiltBundle>>>,
    capacity: usize,
    building: Mutex<()>,
    /// The number of revoked serials at a version: counting ten million rows
    /// takes a quarter of a second, and every device's request needs it.
    total: Mutex<Option<(u64, u64)>>,
}

/// The most bytes of bundles the cache keeps (a full bundle of ten million
/// revoked serials is about 10 MB).
pub const CACHE_BYTES: usize = 64 << 20;

impl Bundles {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            recent: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
            building: Mutex::new(()),
            total: Mutex::new(None),
        }
    }

    pub(crate) fn get(&self, etag: &str) -> Option<Arc<BuiltBundle>> {
        self.recent.lock().ok()?.iter().find(|b| b.etag == etag).cloned()
    }

    fn insert(&self, bundle: Arc<BuiltBundle>) {
        if let Ok(mut recent) = self.recent.lock() {
            recent.retain(|b| b.etag != bundle.etag);
            recent.push_back(bundle);
            // The newest stays even when it alone is over the byte cap.
            while recent.len() > 1
                && (recent.len() > self.capacity || recent.iter().map(|b| b.bytes.len()).sum::<usize>() > CACHE_BYTES)
            {
                recent.pop_front();
            }
        }
    }
}

/// The regimes a bundle carries at `now`: those not ended, the rehearsal
/// (if any) first and in place of a stored regime with its id.
pub fn bundle_regimes(stored: &[String], rehearsal: Option<&Regime>, now: UtcMinute) -> Vec<BundleRegime> {
    let mut out: Vec<BundleRegime> = rehearsal.filter(|r| r.end > now).map(Regime::to_bundle).into_iter().collect();
    for text in stored {
        match Regime::from_toml(text) {
            Ok(regime) if regime.end > now && out.iter().all(|r| r.id != regime.id) => out.push(regime.to_bundle()),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "a stored regime does not read; left out of the bundle"),
        }
    }
    out.truncate(MAX_REGIMES);
    out
}

/// What the version depends on besides revocations: the trust list, the
/// regimes and the authorised organisations (their section's bytes). The
/// regimes are hashed through their `Debug` form: a change of that form with
/// a new compiler only bumps the version once, which devices take as any new
/// version.
pub fn fingerprint(trust_list: &[u8], regimes: &[BundleRegime], organisations: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update((trust_list.len() as u64).to_be_bytes());
    h.update(trust_list);
    h.update((organisations.len() as u64).to_be_bytes());
    h.update(organisations);
    h.update(format!("{regimes:?}").as_bytes());
    h.finalize().into()
}

/// The fingerprint of the authorised organisations alone, from their
/// section's bytes.
pub fn organisations_fingerprint(organisations: &[u8]) -> [u8; 32] {
    Sha256::digest(organisations).into()
}

/// The state of the next version, made at `now` for a bundle of `fingerprint`
/// whose organisations' own fingerprint is `organisations`: the version at
/// which they last changed becomes the new one when they changed, or when
/// what the state said of them is not known (a version an older build made).
pub fn next_state(state: &BundleState, fingerprint: [u8; 32], organisations: [u8; 32], now: UtcMinute) -> BundleState {
    let mut next = state.clone();
    let unchanged = state.organisations_since().is_some() && state.organisations == Some(organisations);
    next.mint(now);
    next.fingerprint = Some(fingerprint);
    if !unchanged {
        next.organisations = Some(organisations);
        next.organisations_version = next.version;
        next.organisations_checked = next.version;
    }
    next
}

/// Whether a bundle from `base` (`None`: a full bundle) at `state` carries the
/// organisations' section.
pub fn carries_organisations(state: &BundleState, base: Option<u64>) -> bool {
    match (base, state.organisations_since()) {
        (Some(base), Some(since)) => base < since,
        _ => true,
    }
}

/// The answer for a device that holds version `since`.
pub(crate) fn answer<S: PermitStore>(svc: &SyncService<S>, since: Option<u64>) -> Result<BundleAnswer, SyncError> {
    let now = svc.now();
    let regimes = bundle_regimes(&svc.permits.regimes()?, svc.rehearsal.as_ref(), now);
    // One authority for the whole answer, even if the keys are reloaded meanwhile.
    let authority = svc.keys.current();
    let organisations = svc.permits.organisations()?;
    let encoded = organisations.encode();
    let fp = fingerprint(authority.trust_list_file(), &regimes, &encoded);
    let organisations_fp = organisations_fingerprint(&encoded);
    // The organisations' own fingerprint is stale only beside a stale `fp`,
    // unless an older build made the version (`organisations_since` unknown).
    let stale = |s: &BundleState| {
        s.fingerprint != Some(fp)
            || s.organisations != Some(organisations_fp)
            || s.organisations_since().is_none()
            || (since.is_some_and(|v| v == s.version && v > 0) && s.minted_at.is_none_or(|m| m < now))
    };
    let mut state = svc.store.bundle_state()?;
    if stale(&state) {
        state = svc.write(|tx| {
            let mut s = tx.bundle_state()?;
            if stale(&s) {
                s = next_state(&s, fp, organisations_fp, now);
                tx.set_bundle_state(&s)?;
            }
            Ok(s)
        })?;
    }
    let version = state.version;
    let base = match since {
        Some(asked) if asked > version => return Err(SyncError::FutureVersion { asked, current: version }),
        Some(asked) if asked == version => return Ok(BundleAnswer::Current { version }),
        None | Some(0) => None,
        Some(asked) => {
            // Devices ask for the same delta again and again: answer from the cache first.
            if let Some(built) = svc.bundles.get(&etag(version, Some(asked), now)) {
                return Ok(BundleAnswer::Bundle(built));
            }
            // A delta whose revocations are more than half of all is no saving: send the full bundle.
            let delta = svc.store.revoked_count(asked)?;
            let all = total_revoked(svc, version)?;
            (delta.saturating_mul(2) <= all || delta == 0).then_some(asked)
        }
    };
    let tag = etag(version, base, now);
    if let Some(built) = svc.bundles.get(&tag) {
        return Ok(BundleAnswer::Bundle(built));
    }
    // One build at a time: requests arriving together wait for the first and take its bundle.
    let _building = svc.bundles.building.lock().map_err(|_| SyncError::Internal("a bundle build panicked".into()))?;
    if let Some(built) = svc.bundles.get(&tag) {
        return Ok(BundleAnswer::Bundle(built));
    }
    // Only the versions up to this one: a revocation committed since is the next version's.
    let serials = svc.store.revoked_serials(base.unwrap_or(0), version)?;
    let replaced = svc.store.replaced_serials(base.unwrap_or(0), version)?;
    let contents = BundleContents {
        version,
        base_version: base,
        server_time_unix_seconds: u64::try_from(now.unix_seconds()).unwrap_or(0),
        trust_list: authority.trust_list_file().to_vec(),
        regimes,
        freshness: FreshnessPolicy::default(),
        revocations: RevocationSet::from_serials(serials),
        // The organisations' whole list in a full bundle, and in a delta
        // only when they changed since its base: see the module doc.
        sections: BundleSections {
            replaced: RevocationSet::from_serials(replaced),
            organisations: carries_organisations(&state, base).then_some(organisations),
        },
    };
    let bytes = authority.sign_bundle(&contents)?;
    let built = Arc::new(BuiltBundle { etag: tag, version, base, bytes });
    svc.bundles.insert(built.clone());
    Ok(BundleAnswer::Bundle(built))
}

/// The number of revoked serials at `version`, counted once per version.
fn total_revoked<S: PermitStore>(svc: &SyncService<S>, version: u64) -> Result<u64, SyncError> {
    if let Ok(memo) = svc.bundles.total.lock() {
        if let Some((at, total)) = *memo {
            if at == version {
                return Ok(total);
            }
        }
    }
    // Counted after reading the version: a revocation committed in between
    // adds to the count. The count only chooses between a delta and a full
    // bundle, both correct, so that error costs bytes at worst, not safety.
    let total = svc.store.revoked_count(0)?;
    if let Ok(mut memo) = svc.bundles.total.lock() {
        *memo = Some((version, total));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_name_version_base_and_minute() {
        let m = UtcMinute::from_unix_minutes(26_800_000);
        assert_eq!(etag(7, None, m), "\"7.f.26800000\"");
        assert_eq!(etag(7, Some(5), m), "\"7.5.26800000\"");
    }

    #[test]
    fn the_cache_keeps_the_most_recent_within_its_caps() {
        let cache = Bundles::new(2);
        let bundle = |v: u64, len: usize| {
            Arc::new(BuiltBundle { etag: format!("{v}"), version: v, base: None, bytes: vec![0; len] })
        };
        for v in 1..=3 {
            cache.insert(bundle(v, 10));
        }
        assert!(cache.get("1").is_none());
        assert_eq!(cache.get("3").unwrap().version, 3);
        assert_eq!(cache.get("2").unwrap().version, 2);
        cache.insert(bundle(4, CACHE_BYTES));
        assert!(cache.get("3").is_none(), "over the byte cap");
        assert_eq!(cache.get("4").unwrap().version, 4);
    }

    #[test]
    fn the_organisations_version_moves_only_when_they_change_or_are_not_known() {
        let m = UtcMinute::from_unix_minutes(26_800_000);
        // Nothing known (a store of the build before): every delta carries them,
        // and the next version is where they last changed.
        let old = BundleState { version: 4, fingerprint: Some([1; 32]), ..Default::default() };
        assert_eq!(old.organisations_since(), None);
        assert!(carries_organisations(&old, Some(3)));
        let s5 = next_state(&old, [1; 32], [9; 32], m);
        assert_eq!((s5.version, s5.organisations_since(), s5.minted_at), (5, Some(5), Some(m)));
        assert!(carries_organisations(&s5, Some(4)) && carries_organisations(&s5, None));
        // A revocation, then a new trust list: the organisations' version stays.
        let mut s6 = s5.clone();
        s6.mint(m);
        let s7 = next_state(&s6, [2; 32], [9; 32], m);
        assert_eq!((s7.version, s7.fingerprint, s7.organisations_since()), (7, Some([2; 32]), Some(5)));
        assert!(!carries_organisations(&s7, Some(5)) && !carries_organisations(&s7, Some(6)));
        assert!(carries_organisations(&s7, Some(4)) && carries_organisations(&s7, None));
        // Another list.
        let s8 = next_state(&s7, [3; 32], [8; 32], m);
        assert_eq!(s8.organisations_since(), Some(8));
        assert!(carries_organisations(&s8, Some(7)));
        // A version an older build made (the version written, nothing else):
        // not known until the next version, which carries them again.
        let older = BundleState { version: 9, ..s8.clone() };
        assert_eq!(older.organisations_since(), None);
        assert!(carries_organisations(&older, Some(8)));
        let mut revoked = older.clone();
        revoked.mint(m);
        assert_eq!(revoked.organisations_since(), None, "a revocation does not make it known");
        assert_eq!(next_state(&revoked, [3; 32], [8; 32], m).organisations_since(), Some(11));
    }

    #[test]
    fn regimes_that_ended_are_left_out_and_the_fingerprint_sees_them_go() {
        let texts = vec![icaze_permits::regime::DEFAULT_REGIME.to_owned()];
        let regime = Regime::from_toml(icaze_permits::regime::DEFAULT_REGIME).unwrap();
        let during = bundle_regimes(&texts, None, regime.start);
        assert_eq!(during.len(), 1);
        assert!(bundle_regimes(&texts, None, regime.end).is_empty());
        assert_ne!(fingerprint(b"t", &during, b""), fingerprint(b"t", &[], b""));
        assert_ne!(fingerprint(b"t", &during, b""), fingerprint(b"u", &during, b""));
        assert_ne!(fingerprint(b"t", &during, b""), fingerprint(b"t", &during, b"o"), "the organisations count");
    }
}
