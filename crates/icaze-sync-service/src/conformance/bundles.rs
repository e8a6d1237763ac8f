//! The conformance tests of what the bundles carry over a backend's stores:
//! the authorised organisations in a delta only when they changed since its
//! base (issue 23).

use std::sync::Arc;

use icaze_core::{AuthorisedOrganisation, AuthorisedOrganisations, TaxId, UtcMinute, VerifiedBundle};
use icaze_permits::keys::KeyRing;
use icaze_permits::store::PermitStore;
use icaze_permits::FixedClock;

use super::Backend;
use crate::bundle::BundleAnswer;
use crate::store::SyncStore;
use crate::{Caller, RevokeTarget, SyncService};

/// Two organisations, or the first alone.
fn organisations(both: bool) -> AuthorisedOrganisations {
    let org = |tax: u64, name: &str| AuthorisedOrganisation {
        tax_id: TaxId::new(tax).expect("a tax id"),
        name: name.into(),
        sector: "kommunal".into(),
        zones: Vec::new(),
        until: None,
    };
    let mut list = vec![org(1_700_000_001, "Bakı Metropoliteni QSC")];
    if both {
        list.push(org(101_234_567, "Azərsu ASC"));
    }
    AuthorisedOrganisations::new(list).expect("a list")
}

/// A full bundle carries the organisations; a delta from a version that
/// already held the list of now (a revocation since, nothing else) carries no
/// section 2, a delta spanning a change of them carries the new list whole,
/// an empty list included; a version made by an older build, which keeps no
/// record of the organisations, makes the next delta carry them.
pub fn deltas_carry_the_organisations_only_when_they_changed<B: Backend>(backend: &B) {
    let db = backend.database();
    let keys = tempfile::tempdir().expect("a directory");
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").expect("a time");
    let authority = keys.path().join("authority");
    icaze_authority::Authority::init(&authority, now, &Default::default()).expect("keys");
    let permits = Arc::new(backend.permits(&db));
    permits.replace_organisations(&organisations(true)).expect("the organisations");
    let ring = Arc::new(KeyRing::load(&authority).expect("the key ring"));
    let root = *ring.current().root_public_key();
    let open = || {
        let clock = Arc::new(FixedClock::new(now));
        SyncService::new(Box::new(backend.open(&db)), permits.clone(), ring.clone(), None, clock, "admin".into())
    };
    let mut service = open();
    // (version, base, the organisations carried) of the answer to `since`.
    let bundle = |service: &SyncService<B::Permits>, since: Option<u64>| match service.bundle(since).expect("a bundle")
    {
        BundleAnswer::Bundle(built) => {
            let bundle = VerifiedBundle::verify(&built.bytes, &root).expect("it verifies");
            (built.version, built.base, bundle.contents().sections.organisations.clone())
        }
        BundleAnswer::Current { version } => panic!("current at {version}"),
    };
    let revoke = |service: &SyncService<B::Permits>, serials: Vec<u32>| {
        service.revoke(&Caller::Admin, RevokeTarget::Serials(serials), "stolen").expect("revoked").1
    };

    // Revocations before any bundle: version 1, made with nothing known of the organisations.
    assert_eq!(revoke(&service, vec![1, 2, 3]), 1);
    assert_eq!(bundle(&service, None), (2, None, Some(organisations(true))), "a full bundle carries them");
    assert_eq!(bundle(&service, Some(1)).2, Some(organisations(true)), "version 1 was made before they were known");
    // A revocation only: the delta leaves them out, the full bundle does not.
    assert_eq!(revoke(&service, vec![5]), 3);
    assert_eq!(bundle(&service, Some(2)), (3, Some(2), None));
    assert_eq!(bundle(&service, None), (3, None, Some(organisations(true))));

    // One removed: the next version carries the new list to a device at 3, and
    // to one at 3 still after another revocation; not to one at 4.
    permits.replace_organisations(&organisations(false)).expect("one removed");
    assert_eq!(bundle(&service, Some(3)), (4, Some(3), Some(organisations(false))));
    assert_eq!(revoke(&service, vec![6]), 5);
    assert_eq!(bundle(&service, Some(3)), (5, Some(3), Some(organisations(false))), "the delta spans the change");
    assert_eq!(bundle(&service, Some(4)), (5, Some(4), None));

    // All removed: an empty list, which a delta carries (not "unchanged").
    let none = AuthorisedOrganisations::default();
    permits.replace_organisations(&none).expect("all removed");
    assert_eq!(bundle(&service, Some(5)), (6, Some(5), Some(none.clone())));
    assert!(matches!(service.bundle(Some(6)), Ok(BundleAnswer::Current { version: 6 })));

    // An older build's instance makes version 7 (it writes the version, the
    // fingerprint and the minute only): what it carried is not known, so the
    // next delta carries the list, even from 6.
    drop(service);
    let store = backend.open(&db);
    store
        .write(&mut |tx| {
            let mut state = tx.bundle_state()?;
            state.version += 1;
            tx.set_bundle_state(&state)
        })
        .expect("a version of an older build");
    assert_eq!(store.bundle_state().expect("state").organisations_since(), None);
    drop(store);
    service = open();
    assert_eq!(bundle(&service, Some(6)), (8, Some(6), Some(none.clone())));
    assert_eq!(revoke(&service, vec![7]), 9);
    assert_eq!(bundle(&service, Some(8)), (9, Some(8), None));
}
