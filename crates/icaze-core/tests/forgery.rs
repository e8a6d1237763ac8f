//! The forgery campaign: tokens altered or forged in every way we know of,
//! none of which may be accepted by `TrustList::verify`.
//!
//! Each kind of attack runs `ICAZE_FORGERY_COUNT` times (default 20,000, so
//! the suite stays quick); the figures in `docs/reliability.md` come from
//! `ICAZE_FORGERY_COUNT=125000 cargo test --release -p icaze-core --test forgery -- --nocapture`:
//! eight kinds of attack × 125,000 = 1,000,000 attempts.
//!
//! "Accepted" means `verify` returned a permit whose token differs from every
//! token the authority issued. Some mutations give back the very token that
//! was issued (a character replaced by itself, the same bit flipped twice, a
//! splice at matching points); those are not forgeries and are counted apart.

use std::collections::HashSet;

use icaze_core::*;

const EPOCH_2020: u32 = 26_297_280;
/// The group order L of Ed25519, little-endian: adding it to S gives the
/// same signature in a non-canonical form, which `verify_strict` refuses.
const ORDER_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn minute(offset: u32) -> UtcMinute {
    UtcMinute::from_unix_minutes(EPOCH_2020 + offset)
}

struct Authority {
    sms: SecretKey,
    portal: SecretKey,
    revoked: SecretKey,
    trust: TrustList,
}

fn authority() -> Authority {
    let (sms, portal, revoked) =
        (SecretKey::from_seed(&[2; 32]), SecretKey::from_seed(&[3; 32]), SecretKey::from_seed(&[5; 32]));
    let key = |id, k: &SecretKey, purposes: &[Purpose], revoked| TrustedKey {
        id: KeyId(id),
        public_key: k.public_key(),
        valid_from: minute(0),
        valid_until: minute(100_000),
        purposes: PurposeSet::of(purposes),
        revoked,
        may_sign_bundles: false,
        label: format!("key-{id}"),
    };
    let trust = TrustList::new(
        1,
        minute(0),
        vec![
            key(1, &sms, &[Purpose::Medical, Purpose::Necessities], false),
            key(2, &portal, &[Purpose::Work], false),
            key(5, &revoked, &[Purpose::Medical, Purpose::Necessities], true),
        ],
    )
    .unwrap();
    Authority { sms, portal, revoked, trust }
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn claims(rng: &mut Rng, purpose: Purpose, issued: UtcMinute) -> PermitClaims {
    let digits = 10_000_000 + rng.below(89_999_999);
    PermitClaims::new(ClaimsSpec {
        serial: PermitSerial(rng.next() as u32),
        document: DocumentNumber::parse(&format!("AZE{digits}")).unwrap(),
        purpose,
        zones: vec![ZoneId::new(1 + rng.below(60) as u16).unwrap()],
        issued_at: issued,
        valid_from: issued,
        valid_until: UtcMinute::from_unix_minutes(issued.unix_minutes() + 180),
        vehicle: None,
    })
    .unwrap()
}

#[derive(Default)]
struct Tally {
    attempts: u64,
    parsed: u64,
    refused: u64,
    same_token: u64,
    accepted: Vec<String>,
}

struct Campaign {
    authority: Authority,
    issued: HashSet<Vec<u8>>,
    rng: Rng,
}

impl Campaign {
    fn new() -> Self {
        Self { authority: authority(), issued: HashSet::new(), rng: Rng(0x9e37_79b9_7f4a_7c15) }
    }

    fn issue(&mut self, key_id: u8) -> Token {
        let (key, purpose) = match key_id {
            2 => (&self.authority.portal, Purpose::Work),
            _ => (&self.authority.sms, Purpose::Necessities),
        };
        let c = claims(&mut self.rng, purpose, minute(50_000));
        let token = issue(key, KeyId(key_id), &c);
        self.issued.insert(token.as_bytes().to_vec());
        token
    }

    fn judge(&self, tally: &mut Tally, attempt: Result<UnverifiedPermit, ParseError>) {
        tally.attempts += 1;
        let Ok(permit) = attempt else {
            tally.refused += 1;
            return;
        };
        tally.parsed += 1;
        match self.authority.trust.verify(&permit) {
            Err(_) => tally.refused += 1,
            Ok(verified) if self.issued.contains(verified.token().as_bytes()) => tally.same_token += 1,
            Ok(verified) => tally.accepted.push(verified.token().to_text()),
        }
    }
}

fn count() -> u64 {
    std::env::var("ICAZE_FORGERY_COUNT").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000)
}

fn report(name: &str, tally: &Tally) {
    println!(
        "{name:<28} attempts {:>9}  parsed {:>9}  refused {:>9}  same token {:>5}  ACCEPTED {}",
        tally.attempts,
        tally.parsed,
        tally.refused,
        tally.same_token,
        tally.accepted.len()
    );
    assert!(
        tally.accepted.is_empty(),
        "{name}: forgeries accepted: {:?}",
        &tally.accepted[..tally.accepted.len().min(3)]
    );
    assert_eq!(tally.attempts, tally.refused + tally.same_token, "{name}: every attempt is judged");
}

/// A campaign of `count()` rounds, each making one forgery attempt with
/// `attempt` (given the round's number), every attempt judged; reported under
/// `name`, which fails the test if any was accepted. Returns the tally.
fn campaign(name: &str, mut attempt: impl FnMut(&mut Campaign, u64) -> Result<UnverifiedPermit, ParseError>) -> Tally {
    let mut c = Campaign::new();
    let mut tally = Tally::default();
    for n in 0..count() {
        let attempted = attempt(&mut c, n);
        c.judge(&mut tally, attempted);
    }
    report(name, &tally);
    tally
}

#[test]
fn bit_flips_in_token_bytes() {
    let tally = campaign("bit flips (bytes)", |c, _| {
        let mut bytes = c.issue(1).as_bytes().to_vec();
        for _ in 0..1 + c.rng.below(3) {
            let i = c.rng.below(bytes.len());
            bytes[i] ^= 1 << c.rng.below(8);
        }
        UnverifiedPermit::from_bytes(&bytes)
    });
    assert!(tally.parsed > 0, "some flips leave a well-formed payload, so the signature is what refuses them");
}

#[test]
fn changed_characters_in_sms_and_qr_text() {
    const SMS_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_ .";
    campaign("changed characters (text)", |c, n| {
        let token = c.issue(1);
        let mut text = if n % 2 == 0 { token.to_text() } else { token.to_qr_digits() }.into_bytes();
        let i = c.rng.below(text.len());
        text[i] = if n % 2 == 0 { SMS_ALPHABET[c.rng.below(SMS_ALPHABET.len())] } else { b'0' + c.rng.below(10) as u8 };
        let text = String::from_utf8(text).unwrap();
        UnverifiedPermit::from_text(&text)
    });
}

#[test]
fn truncations_and_extensions() {
    campaign("truncated or extended", |c, n| {
        let mut bytes = c.issue(1).as_bytes().to_vec();
        if n % 2 == 0 {
            bytes.truncate(c.rng.below(bytes.len()));
        } else {
            for _ in 0..1 + c.rng.below(8) {
                bytes.push(c.rng.next() as u8);
            }
        }
        UnverifiedPermit::from_bytes(&bytes)
    });
}

#[test]
fn two_valid_tokens_spliced() {
    campaign("two tokens spliced", |c, _| {
        let (a, b) = (c.issue(1).as_bytes().to_vec(), c.issue(1).as_bytes().to_vec());
        let (i, j) = (c.rng.below(a.len()), c.rng.below(b.len()));
        let mut spliced = a[..i].to_vec();
        spliced.extend_from_slice(&b[j..]);
        UnverifiedPermit::from_bytes(&spliced)
    });
}

#[test]
fn signed_by_a_key_that_is_not_listed_under_that_id() {
    campaign("wrong key", |c, n| {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&c.rng.next().to_le_bytes());
        let thief = SecretKey::from_seed(&seed);
        let cl = claims(&mut c.rng, Purpose::Necessities, minute(50_000));
        // Under the SMS key's id, under an id nobody has, and under the portal's id.
        let id = [1, 9, 2][n as usize % 3];
        UnverifiedPermit::from_bytes(issue(&thief, KeyId(id), &cl).as_bytes())
    });
}

#[test]
fn non_canonical_signatures() {
    campaign("non-canonical signature", |c, n| {
        let mut bytes = c.issue(1).as_bytes().to_vec();
        let s_at = bytes.len() - 32;
        match n % 3 {
            // S + L: the same signature, not canonical.
            0 => {
                let mut carry = 0u16;
                for (k, l) in ORDER_L.iter().enumerate() {
                    let sum = u16::from(bytes[s_at + k]) + u16::from(*l) + carry;
                    bytes[s_at + k] = sum as u8;
                    carry = sum >> 8;
                }
            }
            // S with its top bits set (S ≥ L whatever it was).
            1 => bytes[s_at + 31] |= 0xf0,
            // R the identity point and S zero: verifies under small-order keys only.
            _ => {
                let r_at = bytes.len() - 64;
                bytes[r_at..].fill(0);
                bytes[r_at] = 1;
            }
        }
        UnverifiedPermit::from_bytes(&bytes)
    });
}

#[test]
fn genuine_signatures_the_key_may_not_give() {
    let tally = campaign("key may not sign it", |c, n| {
        let token = match n % 4 {
            // The SMS key signing a work permit (the portal's purpose).
            0 => issue(&c.authority.sms, KeyId(1), &claims(&mut c.rng, Purpose::Work, minute(50_000))),
            // The portal key signing a medical permit.
            1 => issue(&c.authority.portal, KeyId(2), &claims(&mut c.rng, Purpose::Medical, minute(50_000))),
            // A revoked key, with any issue time a thief likes.
            2 => issue(&c.authority.revoked, KeyId(5), &claims(&mut c.rng, Purpose::Medical, minute(50_000))),
            // The SMS key, issue time outside its validity.
            _ => issue(&c.authority.sms, KeyId(1), &claims(&mut c.rng, Purpose::Medical, minute(150_000))),
        };
        UnverifiedPermit::from_bytes(token.as_bytes())
    });
    assert_eq!(tally.parsed, tally.attempts, "these are well-formed: only the trust list refuses them");
}

#[test]
fn random_bytes_and_text() {
    campaign("random bytes and text", |c, n| {
        let len = 60 + c.rng.below(120);
        let bytes: Vec<u8> = (0..len).map(|_| c.rng.next() as u8).collect();
        if n % 2 == 0 {
            UnverifiedPermit::from_bytes(&bytes)
        } else {
            let text: String = bytes.iter().map(|b| char::from(b'0' + b % 10)).collect();
            UnverifiedPermit::from_text(&format!("IZ1{text}"))
        }
    });
}

#[test]
fn the_untouched_tokens_are_accepted() {
    // The control: the campaign's own judge accepts what the authority issued,
    // so a zero above means refusal, not a broken harness.
    let mut c = Campaign::new();
    let mut tally = Tally::default();
    for _ in 0..100 {
        let id = if c.rng.below(2) == 0 { 1 } else { 2 };
        let token = c.issue(id);
        c.judge(&mut tally, UnverifiedPermit::from_text(&token.to_text()));
    }
    assert_eq!(tally.same_token, 100);
    assert!(tally.accepted.is_empty());
}
