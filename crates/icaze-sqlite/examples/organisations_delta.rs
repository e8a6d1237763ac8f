//! What the authorised organisations cost a device that syncs often (issue
//! 23): the bytes of the bundles the sync service answers with 10,000
//! organisations in the permits store (`COUNT`), on fresh SQLite stores and
//! without HTTP — a full bundle, a delta after a revocation only, and a delta
//! after the list changed (one organisation removed) — through
//! `SyncService::revoke` and `SyncService::bundle`.
//!
//! ```text
//! cargo run -p icaze-sqlite --example organisations_delta
//! ```
//!
//! The list is that of `icaze-core`'s `organisations_size` example (the same
//! fixed generator), so its section is the same 337,847 bytes; the sizes are
//! the same on every run (`docs/benchmarks.md`).

use std::sync::Arc;

use icaze_core::{AuthorisedOrganisations, UtcMinute};
use icaze_permits::keys::KeyRing;
use icaze_permits::store::PermitStore;
use icaze_permits::FixedClock;
use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::sync::SqliteSyncStore;
use icaze_sync_service::bundle::BundleAnswer;
use icaze_sync_service::{Caller, RevokeTarget, SyncService};

/// The list of `organisations_size`, organisation for organisation.
#[path = "../../icaze-core/examples/common/organisations.rs"]
mod organisations;

fn size(answer: BundleAnswer) -> (usize, u64, Option<u64>) {
    match answer {
        BundleAnswer::Bundle(b) => (b.bytes.len(), b.version, b.base),
        BundleAnswer::Current { version } => (0, version, None),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::var("COUNT").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00")?;
    icaze_authority::Authority::init(&dir.path().join("authority"), now, &Default::default())?;
    let permits = Arc::new(SqlitePermitStore::open(&dir.path().join("icaze.db"), Default::default())?);
    let mut organisations = organisations::list(count);
    permits.replace_organisations(&AuthorisedOrganisations::new(organisations.clone())?)?;
    let store = SqliteSyncStore::open(&dir.path().join("sync.db"), Default::default())?;
    let service = SyncService::new(
        Box::new(store),
        permits.clone(),
        Arc::new(KeyRing::load(&dir.path().join("authority"))?),
        None,
        Arc::new(FixedClock::new(now)),
        "admin".into(),
    );
    let show = |what: &str, (bytes, version, base): (usize, u64, Option<u64>)| {
        let base = base.map_or("full".to_owned(), |b| format!("delta from {b}"));
        println!("{what:<42} version {version:>2}, {base:<13} {bytes:>9} bytes");
    };
    println!("organisations: {count}");
    show("full bundle", size(service.bundle(None)?));
    // Two revocations, so that a delta of one of them is a delta (not over half of all).
    service.revoke(&Caller::Admin, RevokeTarget::Serial(101), "stolen")?;
    let (_, version) = service.revoke(&Caller::Admin, RevokeTarget::Serial(102), "stolen")?;
    show("delta after a revocation only", size(service.bundle(Some(version - 1))?));
    organisations.pop();
    permits.replace_organisations(&AuthorisedOrganisations::new(organisations)?)?;
    show("delta after one organisation removed", size(service.bundle(Some(version))?));
    Ok(())
}
