//! The rules of the 8103 SMS service: from a sender and a text to exactly one
//! reply, issuing a permit when the rules allow one.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher as _;
use std::ops::Range;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use icaze_core::{ClaimsSpec, KeyId, PermitClaims, PermitSerial, UtcMinute, ZoneId};
use icaze_sms::{reply, Language, Request};

/// The citizen page's address as permit replies write it ([`SmsConfig::page_link`]).
pub use icaze_sms::reply::{PageLink, PageLinkError};

use crate::csv::{baku_day, civil_from_days};
use crate::metrics::Metrics;
use crate::regime::Regime;
use crate::store::{Limits, PermitRecord, PermitStore, Recorded, RefusedRequest};

/// Settings of the SMS service.
#[derive(Debug, Clone)]
pub struct SmsConfig {
    /// Permits one phone may get per day, all documents together (a family).
    pub per_phone_per_day: u32,
    /// Requests one phone may send in a burst before it is slowed down.
    pub burst: u32,
    /// Requests per minute a phone may send after its burst.
    pub per_minute: u32,
    /// Serial numbers reserved at a time.
    pub serial_block: u32,
    /// The citizen page's public address: permit replies then write the token
    /// as a link to it, `icaze.az/p#IZ2…`, where the reply still fits one SMS
    /// ([`reply::permit_with_link`]). `None`: the bare token, as always.
    pub page_link: Option<PageLink>,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self { per_phone_per_day: 10, burst: 10, per_minute: 6, serial_block: 1024, page_link: None }
    }
}

/// The regimes the service knows: those stored, and one given on the command
/// line for a rehearsal (kept in memory only).
///
/// They are kept behind `Arc` so that a request takes the regime in force with
/// a reference count, not a deep copy of its zones and codes (a copy per SMS
/// was a few dozen allocations, measurable at thousands of SMS a second).
#[derive(Default)]
pub struct Regimes {
    stored: Vec<Arc<Regime>>,
    rehearsal: Option<Arc<Regime>>,
}

impl Regimes {
    /// The regime in force at `at`: the rehearsal first, then the newest stored.
    pub fn in_force(&self, at: UtcMinute) -> Option<&Arc<Regime>> {
        self.rehearsal.iter().chain(self.stored.iter().rev()).find(|r| r.in_force(at))
    }

    /// Every zone any regime names, by id; where regimes name one zone
    /// differently, the regime in force at `at` wins, then the newest.
    pub fn zone_names(&self, at: UtcMinute) -> BTreeMap<ZoneId, crate::regime::Zone> {
        let mut zones = BTreeMap::new();
        let by_priority = self.stored.iter().chain(self.rehearsal.iter()).chain(self.in_force(at));
        for regime in by_priority {
            zones.extend(regime.zones.iter().map(|(id, zone)| (*id, zone.clone())));
        }
        zones
    }
}

/// Tells whether a permit was revoked: the sync service's revocation list,
/// the one the devices get. The answer is read, not cached, so a revocation
/// holds for the next SMS.
pub type RevocationCheck = Arc<dyn Fn(PermitSerial) -> Result<bool, String> + Send + Sync>;

/// The SMS service, shared by every request.
pub struct SmsService<S: PermitStore> {
    store: Arc<S>,
    revoked: Option<RevocationCheck>,
    keys: Arc<crate::keys::KeyRing>,
    regimes: RwLock<Regimes>,
    config: SmsConfig,
    serials: tokio::sync::Mutex<Range<u32>>,
    limiter: RateLimiter,
    /// What the service has done, for `/metrics`.
    pub metrics: Metrics,
}

/// What a request came to, for metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new permit was issued.
    Issued,
    /// No permit, for this reason (a stable code).
    Refused(&'static str),
}

impl<S: PermitStore> SmsService<S> {
    /// A service over `store` and the authority's `keys`, with the regimes
    /// stored in the store and, if given, a rehearsal regime.
    pub fn new(
        store: Arc<S>,
        keys: Arc<crate::keys::KeyRing>,
        rehearsal: Option<Regime>,
        config: SmsConfig,
    ) -> Result<Self, crate::store::StoreError> {
        let service = Self {
            store,
            revoked: None,
            keys,
            regimes: RwLock::new(Regimes { stored: Vec::new(), rehearsal: rehearsal.map(Arc::new) }),
            limiter: RateLimiter::new(&config),
            config,
            serials: tokio::sync::Mutex::new(0..0),
            metrics: Metrics::default(),
        };
        service.reload_regimes()?;
        Ok(service)
    }

    /// The service, consulting `check` before it sends a permit again: a
    /// revoked permit is never sent (without one, as in benchmarks of the SMS
    /// rules alone, only revoked keys are known).
    pub fn with_revocations(mut self, check: RevocationCheck) -> Self {
        self.revoked = Some(check);
        self
    }

    /// The store it records permits in, for the searches and reports.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// Re-reads the stored regimes (after one was loaded).
    pub fn reload_regimes(&self) -> Result<(), crate::store::StoreError> {
        let mut stored = Vec::new();
        for text in self.store.regimes()? {
            match Regime::from_toml(&text) {
                Ok(regime) => stored.push(Arc::new(regime)),
                Err(e) => tracing::error!(error = %e, "a stored regime does not read; ignored"),
            }
        }
        if let Ok(mut regimes) = self.regimes.write() {
            regimes.stored = stored;
        }
        Ok(())
    }

    /// Checks a regime text, stores it and puts it in force, without a restart.
    pub fn load_regime(&self, toml: &str) -> Result<Regime, String> {
        let regime = Regime::from_toml(toml).map_err(|e| e.to_string())?;
        self.store.put_regime(&regime.id, toml).map_err(|e| e.to_string())?;
        self.reload_regimes().map_err(|e| e.to_string())?;
        Ok(regime)
    }

    /// The names of every zone the regimes name (see [`Regimes::zone_names`]).
    pub fn zone_names(&self, at: UtcMinute) -> BTreeMap<ZoneId, crate::regime::Zone> {
        self.regimes.read().map(|r| r.zone_names(at)).unwrap_or_default()
    }

    /// The regime in force at `at`, if any.
    pub fn regime_at(&self, at: UtcMinute) -> Option<Arc<Regime>> {
        self.regimes.read().ok().and_then(|r| r.in_force(at).cloned())
    }

    /// Answers one SMS from `phone` at `now`: always exactly one reply.
    pub async fn handle(&self, phone: &str, text: &str, now: UtcMinute) -> (String, Outcome) {
        let started = Instant::now();
        let mut named = None;
        let (reply, outcome) = self.decide(phone, text, now, &mut named).await;
        match outcome {
            Outcome::Issued => {}
            Outcome::Refused(reason) => {
                self.metrics.refused(reason);
                // A request that named a person is kept for the searches and the
                // abuse report; a storage failure is not (it would fail again).
                if let Some((phone, document, code)) = named.filter(|_| reason != "storage") {
                    let request = RefusedRequest { at: now, phone, document, code, reason: reason.to_owned() };
                    if let Err(e) = self.store.record_refused(request).await {
                        tracing::error!(error = %e, "a refused request could not be kept");
                    }
                }
            }
        }
        self.metrics.observe(started.elapsed());
        (reply, outcome)
    }

    /// The reply and outcome of one SMS; `named` gets the sender, document and
    /// code once the text has named a code the regime offers.
    async fn decide(
        &self,
        phone: &str,
        text: &str,
        now: UtcMinute,
        named: &mut Option<(String, String, u8)>,
    ) -> (String, Outcome) {
        let refused = |reply: String, reason: &'static str| (reply, Outcome::Refused(reason));
        let language = icaze_sms::language_of(text);
        // A gateway writes the sender with or without `+`: one phone, one form
        // (`crate::csv::phone`) for the limits, the records and the register.
        let sender = crate::csv::phone(phone).unwrap_or_else(|_| phone.trim().to_owned());
        if !self.limiter.allow(&sender) {
            return refused(reply::rate_limited(language), "rate_limited");
        }
        let Some(regime) = self.regime_at(now) else {
            return refused(reply::no_permit_needed(language), "no_regime");
        };
        let available: Vec<u8> =
            if regime.has_channel("sms") { regime.codes.keys().copied().collect() } else { Vec::new() };
        let request: Request = match icaze_sms::parse(text) {
            Ok(request) => request,
            Err(problem) => return refused(reply::how_to_write(language, &problem, &available), problem.code()),
        };
        let language = request.language;
        let Some(code) = regime.codes.get(&request.code).filter(|_| regime.has_channel("sms")) else {
            return refused(reply::code_not_available(language, request.code, &available), "code_not_available");
        };
        let document = request.document.canonical();
        *named = Some((sender.clone(), document.clone(), code.code));
        // Every refusal that rests on a registry reads the same to the asker
        // (`reply::not_issued`): no phone learns who is registered where, who
        // is on the deny list, or whose permit of today went to another phone.
        // The reasons stay apart in the metrics and the logs.
        let not_issued = |reason| refused(reply::not_issued(language, &request.document), reason);
        let (person, denial) = match self.store.person_and_denial(&document, now) {
            Ok(Some(found)) => found,
            Ok(None) => return not_issued("unknown_document"),
            Err(e) => return self.failed(language, &e),
        };
        if !regime.restricts(person.zone) {
            return not_issued("zone_not_restricted");
        }
        if let Some(limit) = regime.age_limit {
            if age_on(person.birth_day, baku_day(now)) > i32::from(limit) {
                return not_issued("age_limit");
            }
        }
        if denial.is_some() {
            return not_issued("denied");
        }
        match self.store.phone_may_ask(&document, &sender) {
            Ok(true) => {}
            Ok(false) => return not_issued("phone_not_registered"),
            Err(e) => return self.failed(language, &e),
        }
        let authority = self.keys.current();
        let Some((key_id, key)) = authority.signing_key(code.purpose, now) else {
            tracing::error!(purpose = %code.purpose.name(), "no issuer key may sign this purpose now");
            return refused(reply::service_error(language), "no_key");
        };
        // At most twice: a second time to replace a permit of today whose key was revoked.
        let mut replaces = None;
        loop {
            let serial = match self.next_serial().await {
                Ok(serial) => serial,
                Err(e) => return self.failed(language, &e),
            };
            let valid_from = now.checked_add(code.activation_delay_minutes).unwrap_or(now);
            let valid_until = valid_from.checked_add(code.minutes).unwrap_or(valid_from);
            let claims = match PermitClaims::new(ClaimsSpec {
                serial,
                document: request.document.clone(),
                purpose: code.purpose,
                zones: vec![person.zone],
                issued_at: now,
                valid_from,
                valid_until,
                vehicle: None,
            }) {
                Ok(claims) => claims,
                Err(e) => {
                    tracing::error!(error = %e, "claims out of range");
                    return refused(reply::service_error(language), "claims");
                }
            };
            let token = icaze_core::issue(key, key_id, &claims).to_text();
            let record = PermitRecord {
                serial,
                document: document.clone(),
                code: code.code,
                purpose: code.purpose.code(),
                zone: person.zone,
                key_id: key_id.0,
                issued_at: now,
                valid_from,
                valid_until,
                phone: sender.clone(),
                token: token.clone(),
            };
            let limits = Limits {
                day: baku_day(now),
                per_document: code.per_day,
                per_phone: self.config.per_phone_per_day,
                per_week: code.per_week,
                per_phone_code: code.per_phone_per_day,
                replaces,
            };
            let last = match self.store.record_permit(record, limits).await {
                Ok(Recorded::Issued) => {
                    self.metrics.issued(code.code);
                    return (
                        self.permit_reply(language, &request.document, valid_from, valid_until, &token),
                        Outcome::Issued,
                    );
                }
                Ok(Recorded::PhoneLimit) => return refused(reply::phone_limit(language), "phone_limit"),
                Ok(Recorded::WeekLimit) => {
                    let per_week = code.per_week.unwrap_or(code.per_day);
                    return refused(
                        reply::weekly_limit(language, code.code, per_week, &request.document),
                        "weekly_limit",
                    );
                }
                Ok(Recorded::DocumentLimit { last: Some(last) }) => last,
                Ok(Recorded::DocumentLimit { last: None }) => {
                    return refused(
                        reply::daily_limit(language, code.code, code.per_day, &request.document),
                        "daily_limit",
                    )
                }
                Err(e) => return self.failed(language, &e),
            };
            // The day's permit went to another phone: that phone alone gets
            // it again. This one is told nothing of it, its window or its token.
            if crate::csv::phone(&last.phone).unwrap_or_else(|_| last.phone.trim().to_owned()) != sender {
                return not_issued("other_phone");
            }
            if now >= last.valid_until {
                return refused(
                    reply::daily_limit(language, code.code, code.per_day, &request.document),
                    "daily_limit",
                );
            }
            // Today's permit was signed by a key revoked since: it no longer
            // verifies, through no fault of the citizen, so a new one replaces it.
            if replaces.is_none() && authority.trust_list().key(KeyId(last.key_id)).is_some_and(|k| k.revoked) {
                replaces = Some(last.serial);
                continue;
            }
            // A revoked permit is never sent again; the day's permits of the code are used.
            if let Some(check) = &self.revoked {
                match check(last.serial) {
                    Ok(false) => {}
                    Ok(true) => {
                        return refused(reply::permit_revoked(language, code.code, &request.document), "revoked")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the revocation list could not be read; the citizen is asked to try again");
                        return refused(reply::service_error(language), "storage");
                    }
                }
            }
            // The day's permit is still valid: send it again (the SMS may have been lost).
            return refused(
                self.permit_reply(language, &request.document, last.valid_from, last.valid_until, &last.token),
                "repeat",
            );
        }
    }

    /// The SMS that carries a permit, with the link to the citizen page if one is configured.
    fn permit_reply(
        &self,
        language: Language,
        document: &icaze_core::DocumentNumber,
        from: UtcMinute,
        until: UtcMinute,
        token: &str,
    ) -> String {
        reply::permit_with_link(language, document, from, until, token, self.config.page_link.as_ref())
    }

    fn failed(&self, language: Language, e: &crate::store::StoreError) -> (String, Outcome) {
        tracing::error!(error = %e, "storage failed; the citizen is asked to try again");
        (reply::service_error(language), Outcome::Refused("storage"))
    }

    async fn next_serial(&self) -> Result<PermitSerial, crate::store::StoreError> {
        let mut serials = self.serials.lock().await;
        if serials.is_empty() {
            *serials = self.store.reserve_serials(self.config.serial_block).await?;
        }
        let serial = serials.start;
        serials.start += 1;
        Ok(PermitSerial(serial))
    }
}

/// Token buckets per phone against floods.
///
/// Memory stays bounded however many phones write. A bucket that has refilled
/// completely says no more than no bucket at all, so such buckets are swept
/// out; the sweep runs only when the map has doubled since the last one, which
/// keeps it amortised O(1) per request (the first version scanned the whole
/// map on every request once it held 100,000 phones, and kept every phone for
/// an hour: at 17,000 distinct phones a second that is 60 million entries).
/// Phones are keyed by a keyed 64-bit hash rather than stored as strings, a
/// third of the memory; two phones whose hashes collide would share a bucket,
/// which with a random key and 64 bits does not happen in practice. If a flood
/// of distinct phones keeps more than [`MAX_PHONES`] buckets live, the half
/// idle longest is forgotten: those phones get a fresh burst (logged).
struct RateLimiter {
    burst: f64,
    per_second: f64,
    hasher: std::collections::hash_map::RandomState,
    inner: Mutex<Buckets>,
}

/// The most phones the rate limiter remembers (about 40 MB).
const MAX_PHONES: usize = 1 << 20;
/// The map size below which the rate limiter does not sweep.
const MIN_SWEEP: usize = 1 << 14;

struct Buckets {
    by_phone: HashMap<u64, Bucket>,
    /// Sweep when the map reaches this size.
    sweep_at: usize,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    fn new(config: &SmsConfig) -> Self {
        Self {
            burst: f64::from(config.burst),
            per_second: f64::from(config.per_minute) / 60.0,
            hasher: Default::default(),
            inner: Mutex::new(Buckets { by_phone: HashMap::new(), sweep_at: MIN_SWEEP }),
        }
    }

    /// Takes a token from `phone`'s bucket if it has one.
    fn allow(&self, phone: &str) -> bool {
        let key = self.hasher.hash_one(phone);
        let now = Instant::now();
        let Ok(mut buckets) = self.inner.lock() else { return true };
        if buckets.by_phone.len() >= buckets.sweep_at {
            self.sweep(&mut buckets, now);
        }
        let bucket = buckets.by_phone.entry(key).or_insert(Bucket { tokens: self.burst, last: now });
        bucket.tokens = self.refilled(bucket, now);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn refilled(&self, bucket: &Bucket, now: Instant) -> f64 {
        (bucket.tokens + now.duration_since(bucket.last).as_secs_f64() * self.per_second).min(self.burst)
    }

    fn sweep(&self, buckets: &mut Buckets, now: Instant) {
        buckets.by_phone.retain(|_, b| self.refilled(b, now) < self.burst);
        if buckets.by_phone.len() > MAX_PHONES / 2 {
            let mut lasts: Vec<Instant> = buckets.by_phone.values().map(|b| b.last).collect();
            let middle = lasts.len() / 2;
            let (_, &mut cut, _) = lasts.select_nth_unstable(middle);
            buckets.by_phone.retain(|_, b| b.last >= cut);
            tracing::warn!(
                remembered = buckets.by_phone.len(),
                "more phones are writing than the rate limiter remembers: the half idle longest was forgotten"
            );
        }
        buckets.sweep_at = (buckets.by_phone.len() * 2).clamp(MIN_SWEEP, MAX_PHONES);
    }
}

/// Age in whole years on `today` of someone born on `birth_day` (days since 1970).
fn age_on(birth_day: i32, today: i32) -> i32 {
    let (by, bm, bd) = civil_from_days(birth_day);
    let (ty, tm, td) = civil_from_days(today);
    ty - by - i32::from((tm, td) < (bm, bd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::date;

    fn limiter(burst: u32, per_minute: u32) -> RateLimiter {
        RateLimiter::new(&SmsConfig { burst, per_minute, ..SmsConfig::default() })
    }

    #[test]
    fn refilled_buckets_are_forgotten() {
        // Refills within nanoseconds: every bucket is full again by the next sweep.
        let limiter = limiter(10, u32::MAX);
        for i in 0..(4 * MIN_SWEEP) {
            assert!(limiter.allow(&format!("99450{i:07}")));
        }
        assert!(limiter.inner.lock().unwrap().by_phone.len() <= MIN_SWEEP);
    }

    #[test]
    fn a_flood_of_distinct_phones_stays_within_bounds() {
        let limiter = limiter(10, 6);
        for i in 0..(MAX_PHONES + MAX_PHONES / 4) {
            limiter.allow(&i.to_string());
        }
        assert!(limiter.inner.lock().unwrap().by_phone.len() <= MAX_PHONES);
        // A phone seen just now is still remembered and slowed down.
        let flood = "994500000001";
        assert!((0..10).all(|_| limiter.allow(flood)));
        assert!(!limiter.allow(flood));
    }

    #[test]
    fn ages() {
        let today = date("2020-04-10").unwrap();
        assert_eq!(age_on(date("1955-04-10").unwrap(), today), 65);
        assert_eq!(age_on(date("1955-04-11").unwrap(), today), 64);
        assert_eq!(age_on(date("1954-04-10").unwrap(), today), 66);
    }
}
