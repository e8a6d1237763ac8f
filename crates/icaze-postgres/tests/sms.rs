//! The SMS rules (`icaze_permits::sms::SmsService`) over the PostgreSQL store,
//! with the database stopped and started again: every SMS gets one reply, a
//! "try again later" while the database is away and never a permit that is not
//! stored (issue 21).

use std::sync::Arc;

use icaze_core::UtcMinute;
use icaze_permits::keys::KeyRing;
use icaze_permits::sms::{Outcome, SmsConfig, SmsService};
use icaze_permits::store::PermitStore;
use icaze_postgres::{PgConfig, PgPermitStore};
use icaze_testkit::postgres::PgCluster;

fn token(reply: &str) -> Option<&str> {
    reply.split(' ').find(|w| w.starts_with("IZ2"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_21_sms_while_the_database_is_away_say_try_again_and_issue_nothing() {
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").unwrap();
    let keys = tempfile::tempdir().unwrap();
    icaze_authority::Authority::init(keys.path(), now, &icaze_authority::InitOptions::default()).unwrap();
    let ring = Arc::new(KeyRing::load(keys.path()).unwrap());
    // A cluster of its own: this test stops it.
    let cluster = Arc::new(PgCluster::start().unwrap());
    let db = cluster.create_database().unwrap();
    let store = Arc::new(PgPermitStore::open(&db.url(), PgConfig::default()).unwrap());
    store.import_people(&icaze_permits::registry::demo_people_csv(50)).unwrap();
    store.put_regime("2020-12-14", include_str!("../../../regimes/2020-12-14.toml")).unwrap();
    let sms = SmsService::new(Arc::clone(&store), ring, None, SmsConfig::default()).unwrap();

    let (reply, outcome) = sms.handle("994501112233", "2 AZE11111111", now).await;
    assert_eq!(outcome, Outcome::Issued, "{reply}");
    let first = token(&reply).expect("a token").to_owned();

    cluster.stop().unwrap();
    for (phone, text) in [("994501112234", "2 AZE11111111"), ("994501112235", "1 AZE11111111"), ("994501112236", "2")] {
        let (reply, outcome) = sms.handle(phone, text, now).await;
        assert!(token(&reply).is_none(), "{text}: {reply}");
        assert!(!reply.is_empty());
        if text != "2" {
            assert_eq!(outcome, Outcome::Refused("storage"), "{text}: {reply}");
        }
    }

    cluster.restart().unwrap();
    // The day's permit is given again: the refused requests counted nothing.
    let (reply, _) = sms.handle("994501112233", "2 AZE11111111", now).await;
    assert_eq!(token(&reply), Some(first.as_str()), "{reply}");
    let (reply, outcome) = sms.handle("994501112233", "1 AZE11111111", now).await;
    assert_eq!(outcome, Outcome::Issued, "{reply}");
    assert_eq!(store.permit_count().unwrap(), 2);
}
