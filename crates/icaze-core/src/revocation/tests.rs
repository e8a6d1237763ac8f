use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

/// A small deterministic PRNG (splitmix64) for reproducible sets.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn random_serials(seed: u64, count: usize, universe: u64) -> Vec<u32> {
    let mut rng = SplitMix(seed);
    (0..count).map(|_| rng.below(universe) as u32).collect()
}

/// Checks the set against the model: contents, order, length, encoding
/// round trip and lookups of members, their neighbours and random probes.
fn check_against_model(set: &RevocationSet, model: &BTreeSet<u32>, seed: u64) {
    assert_eq!(set.len(), model.len());
    assert_eq!(set.is_empty(), model.is_empty());
    assert!(set.iter().eq(model.iter().copied()), "iter differs from the model");
    assert_eq!(set.iter().size_hint(), (model.len(), Some(model.len())));
    let bytes = set.encode();
    let decoded = RevocationSet::decode(&bytes).expect("own encoding decodes");
    assert_eq!(&decoded, set);
    assert_eq!(decoded.encode(), bytes);
    let mut probes: Vec<u32> = vec![0, 1, u32::MAX, u32::MAX - 1, set.max, set.max.wrapping_add(1)];
    for &v in model.iter().take(2000) {
        probes.extend([v, v.wrapping_sub(1), v.wrapping_add(1)]);
    }
    let top = u64::from(model.last().copied().unwrap_or(0)) + 2;
    let mut rng = SplitMix(seed);
    probes.extend((0..2000).map(|_| rng.below(top) as u32));
    probes.extend((0..200).map(|_| rng.next() as u32));
    for probe in probes {
        assert_eq!(set.contains(PermitSerial(probe)), model.contains(&probe), "contains({probe})");
    }
}

fn check(serials: &[u32], seed: u64) -> RevocationSet {
    let set = RevocationSet::from_serials(serials.iter().copied());
    let model: BTreeSet<u32> = serials.iter().copied().collect();
    check_against_model(&set, &model, seed);
    set
}

#[test]
fn empty_set() {
    let set = RevocationSet::empty();
    assert_eq!(set, RevocationSet::from_serials([]));
    assert_eq!(set, RevocationSet::default());
    assert_eq!(set.encode(), [1, 0]);
    assert_eq!(set.heap_bytes(), 0);
    assert!(!set.contains(PermitSerial(0)));
    assert!(!set.contains(PermitSerial(u32::MAX)));
    check(&[], 1);
}

#[test]
fn single_serials_at_the_edges() {
    for v in [0, 1, 2, 63, 64, 65, 1 << 31, u32::MAX - 1, u32::MAX] {
        let set = check(&[v], u64::from(v));
        assert!(set.contains(PermitSerial(v)));
        assert_eq!(set.iter().collect::<Vec<_>>(), [v]);
    }
    check(&[0, u32::MAX], 2);
    check(&[0, 1, u32::MAX - 1, u32::MAX], 3);
}

#[test]
fn dense_runs() {
    check(&(0..100_000).collect::<Vec<_>>(), 4);
    check(&(u32::MAX - 70_000..=u32::MAX).collect::<Vec<_>>(), 5);
    check(&(1_000_000..1_000_300).collect::<Vec<_>>(), 6);
    // A dense run far below one outlier: one bucket holds thousands of
    // serials, more than a word of the high bitvector.
    let mut clustered: Vec<u32> = (4_000_000..4_070_000).collect();
    clustered.push(u32::MAX);
    let set = check(&clustered, 7);
    assert!(set.low_bits >= 12, "the outlier forces wide buckets, low_bits = {}", set.low_bits);
    // A dense run encodes in about one bit per serial.
    let run = RevocationSet::from_serials(0..80_000);
    assert!(run.encode().len() <= 10_000 + 8, "{} bytes", run.encode().len());
}

#[test]
fn random_sets_of_every_density() {
    let cases: [(usize, u64); 8] = [
        (10, 100),
        (1000, 1000),
        (1000, 3000),
        (5000, 1 << 20),
        (20_000, 1_000_000_000),
        (3000, 1 << 32),
        (50_000, 60_000),
        (200_000, 20_000_000),
    ];
    for (seed, (count, universe)) in cases.into_iter().enumerate() {
        check(&random_serials(seed as u64, count, universe), seed as u64 + 100);
    }
}

#[test]
fn duplicates_and_order_do_not_matter() {
    let a = RevocationSet::from_serials([5, 3, 3, 9, 5, 0]);
    let b = RevocationSet::from_serials([0, 3, 5, 9]);
    assert_eq!(a, b);
    assert_eq!(a.encode(), b.encode());
    assert_ne!(a, RevocationSet::from_serials([0, 3, 5]));
}

#[test]
fn union_agrees_with_btreeset() {
    let cases: [(Vec<u32>, Vec<u32>); 7] = [
        (vec![], vec![]),
        (vec![], vec![7, u32::MAX]),
        (random_serials(1, 30_000, 1 << 24), random_serials(2, 30_000, 1 << 24)),
        (random_serials(3, 100_000, 1_000_000_000), random_serials(4, 500, 1_000_000_000)),
        (random_serials(5, 200, 1 << 32), random_serials(6, 50_000, 1 << 20)),
        ((0..10_000).collect(), (5_000..20_000).collect()),
        (random_serials(7, 10_000, 100_000), random_serials(7, 10_000, 100_000)),
    ];
    for (i, (a, b)) in cases.iter().enumerate() {
        let (sa, sb) = (RevocationSet::from_serials(a.clone()), RevocationSet::from_serials(b.clone()));
        let model: BTreeSet<u32> = a.iter().chain(b).copied().collect();
        let union = sa.union(&sb);
        check_against_model(&union, &model, i as u64);
        assert_eq!(union, sb.union(&sa));
        assert_eq!(union, RevocationSet::from_serials(model.iter().copied()));
    }
    // A small delta into a large set takes the lookup path.
    let big = RevocationSet::from_serials(random_serials(8, 100_000, 1 << 30));
    let mut delta = random_serials(9, 1000, 1 << 30);
    delta.extend(big.iter().step_by(500));
    let model: BTreeSet<u32> = big.iter().chain(delta.iter().copied()).collect();
    check_against_model(&big.union(&RevocationSet::from_serials(delta)), &model, 10);
}

#[test]
fn known_answer() {
    // The worked example of docs/revocations.md.
    let set = RevocationSet::from_serials([3, 10, 11, 40]);
    assert_eq!(rice_parameter(4, 41), 3);
    assert_eq!(set.encode(), [0x01, 0x04, 0x03, 0x36, 0x0e, 0x80]);
    assert_eq!(RevocationSet::decode(&[0x01, 0x04, 0x03, 0x36, 0x0e, 0x80]), Ok(set.clone()));
    // The refusals the document shows for it.
    assert_eq!(
        RevocationSet::decode(&[0x01, 0x84, 0x00, 0x03, 0x36, 0x0e, 0x80]),
        Err(RevocationDecodeError::NonMinimalCount)
    );
    for k in [2, 4] {
        assert_eq!(
            RevocationSet::decode(&encode_with_parameter(&set, k)),
            Err(RevocationDecodeError::NonCanonicalParameter { found: k, expected: 3 })
        );
    }
    assert_eq!(RevocationSet::from_serials([0]).encode(), [0x01, 0x01, 0x00, 0x00]);
    assert_eq!(RevocationSet::from_serials([u32::MAX]).encode(), [0x01, 0x01, 0x1f, 0xbf, 0xff, 0xff, 0xff, 0x80]);
}

#[test]
fn rice_parameter_is_the_best_for_random_sets() {
    // The rule should give the shortest encoding among its neighbours for
    // uniformly drawn sets (it targets geometric gaps).
    for (seed, (count, universe)) in
        [(100usize, 1u64 << 32), (5000, 1_000_000_000), (20_000, 300_000)].into_iter().enumerate()
    {
        let set = RevocationSet::from_serials(random_serials(seed as u64 + 40, count, universe));
        let k = rice_parameter(set.len, u64::from(set.max) + 1);
        let size = encode_with_parameter(&set, k).len();
        assert_eq!(size, set.encode().len());
        for other in [k.saturating_sub(1), k + 1] {
            if other != k && other <= MAX_RICE_PARAMETER {
                assert!(size <= encode_with_parameter(&set, other).len(), "k = {k} beaten by {other}");
            }
        }
    }
}

/// The wire form with a chosen Rice parameter (non-canonical unless it is
/// the rule's).
fn encode_with_parameter(set: &RevocationSet, k: u8) -> Vec<u8> {
    let mut out = vec![WIRE_VERSION];
    put_varint(&mut out, set.len);
    out.push(k);
    let k = u32::from(k);
    let mut writer = BitWriter { bytes: out, acc: 0, pending: 0 };
    let mut next = 0u64;
    for value in set.iter().map(u64::from) {
        writer.put_unary((value - next) >> k);
        writer.put((value - next) & ((1u64 << k) - 1), k);
        next = value + 1;
    }
    writer.finish()
}

#[test]
fn decode_refuses_bad_input() {
    use RevocationDecodeError as E;
    let set = RevocationSet::from_serials(random_serials(11, 500, 1 << 28));
    let good = set.encode();
    for cut in 0..good.len() {
        assert_eq!(RevocationSet::decode(&good[..cut]), Err(E::Truncated), "cut at {cut}");
    }
    let mut long = good.clone();
    long.push(0);
    assert_eq!(RevocationSet::decode(&long), Err(E::TrailingBytes));
    assert_eq!(RevocationSet::decode(&[1, 0, 0]), Err(E::TrailingBytes));

    assert_eq!(RevocationSet::decode(&[0, 0]), Err(E::UnsupportedVersion(0)));
    assert_eq!(RevocationSet::decode(&[2, 0]), Err(E::UnsupportedVersion(2)));
    let mut other_version = good.clone();
    other_version[0] = 2;
    assert_eq!(RevocationSet::decode(&other_version), Err(E::UnsupportedVersion(2)));

    // Counts beyond 2^32, and counts the bytes cannot hold.
    let mut huge = vec![1];
    put_varint(&mut huge, (1 << 32) + 1);
    huge.extend([0; 64]);
    assert_eq!(RevocationSet::decode(&huge), Err(E::CountTooLarge((1 << 32) + 1)));
    assert_eq!(
        RevocationSet::decode(&[1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).map(|s| s.len()).unwrap_err().code(),
        "count_too_large"
    );
    let mut lying = vec![1];
    put_varint(&mut lying, 1 << 32);
    lying.extend([0, 0, 0, 0]);
    assert_eq!(RevocationSet::decode(&lying), Err(E::Truncated));
    assert_eq!(RevocationSet::decode(&[1, 0x03, 0x05, 0x00]), Err(E::Truncated), "3 codes of >= 6 bits in 8");

    assert_eq!(RevocationSet::decode(&[1, 0x80, 0x00]), Err(E::NonMinimalCount));
    assert_eq!(RevocationSet::decode(&[1, 0x81, 0x00, 0x00, 0x00]), Err(E::NonMinimalCount));
    assert_eq!(RevocationSet::decode(&[1, 0x80]), Err(E::Truncated));

    assert_eq!(RevocationSet::decode(&[1, 1, 32, 0, 0, 0, 0, 0]), Err(E::InvalidParameter(32)));
    let k = good[3];
    assert_eq!(
        RevocationSet::decode(&encode_with_parameter(&set, k + 1)),
        Err(E::NonCanonicalParameter { found: k + 1, expected: k })
    );
    assert_eq!(
        RevocationSet::decode(&encode_with_parameter(&set, k - 1)),
        Err(E::NonCanonicalParameter { found: k - 1, expected: k })
    );

    // Serial u32::MAX, then a gap of 0: the second serial would be 2^32.
    let over = encode_with_parameter(&RevocationSet::from_serials([u32::MAX]), 31);
    let mut two = vec![1, 2, 31];
    two.extend(&over[3..]);
    // The first code takes 33 bits; the second (a single zero bit, then
    // 31 zero bits) fits in the padding plus four more bytes.
    two.extend([0, 0, 0, 0]);
    assert_eq!(RevocationSet::decode(&two), Err(E::SerialOutOfRange));
    // A run of ones that the bytes end in the middle of.
    assert_eq!(RevocationSet::decode(&[1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), Err(E::Truncated));
    // A quotient above any u32 gap (k = 31 allows at most 1).
    assert_eq!(RevocationSet::decode(&[1, 1, 31, 0xc0, 0, 0, 0, 0]), Err(E::SerialOutOfRange));

    // The example's last byte is 0x80: one real bit, seven of padding.
    assert_eq!(RevocationSet::decode(&[0x01, 0x04, 0x03, 0x36, 0x0e, 0x81]), Err(E::NonZeroPadding));
    assert!(RevocationSet::decode(&[0x01, 0x04, 0x03, 0x36, 0x0e, 0x80]).is_ok());
}

#[test]
fn error_codes_are_distinct_snake_case() {
    use RevocationDecodeError as E;
    let all = [
        E::UnsupportedVersion(2),
        E::Truncated,
        E::TrailingBytes,
        E::CountTooLarge(1),
        E::NonMinimalCount,
        E::InvalidParameter(40),
        E::NonCanonicalParameter { found: 1, expected: 2 },
        E::SerialOutOfRange,
        E::NonZeroPadding,
    ];
    let codes: BTreeSet<&str> = all.iter().map(E::code).collect();
    assert_eq!(codes.len(), all.len());
    for (code, error) in codes.iter().zip(&all) {
        assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
        assert!(!error.to_string().ends_with('.'), "{error}");
    }
}

#[test]
fn random_and_mutated_bytes_never_panic_and_only_canonical_forms_decode() {
    let mut rng = SplitMix(12);
    let base = RevocationSet::from_serials(random_serials(13, 300, 1 << 20)).encode();
    let mut accepted = 0;
    for round in 0..6000 {
        let bytes: Vec<u8> = match round % 3 {
            0 => (0..rng.below(40)).map(|_| rng.next() as u8).collect(),
            1 => {
                // A plausible header, then noise.
                let mut b = vec![1, rng.below(20) as u8, rng.below(34) as u8];
                b.extend((0..rng.below(30)).map(|_| rng.next() as u8));
                b
            }
            _ => {
                let mut b = base.clone();
                for _ in 0..=rng.below(3) {
                    let i = rng.below(b.len() as u64) as usize;
                    b[i] ^= 1 << rng.below(8);
                }
                b
            }
        };
        if let Ok(set) = RevocationSet::decode(&bytes) {
            accepted += 1;
            assert_eq!(set.encode(), bytes, "a decoded set re-encodes to the same bytes");
        }
    }
    assert!(accepted > 0, "some random inputs are valid sets");
}

#[test]
fn heap_bytes_stay_within_the_elias_fano_bound() {
    let n = 1_000_000u64;
    let universe = 100_000_000u64;
    let set = RevocationSet::from_serials(random_serials(14, n as usize, universe));
    let n = set.len() as u64;
    assert!(n > 990_000, "few collisions at this density");
    // Elias-Fano takes at most 2 + ceil(log2(U/n)) bits per serial (here
    // 2 + 7 = 9). The directory adds one u32 per 512 high bits (<= 3n
    // bits) and one per 1024 buckets; allow that and 1 KiB besides.
    let per_serial = 2 + (universe as f64 / n as f64).log2().ceil() as u64;
    let high_bits = 3 * n;
    let bound_bits = n * per_serial + high_bits / 512 * 32 + high_bits / 1024 * 32 + 8 * 1024;
    let bound = (bound_bits / 8) as usize;
    assert!(set.heap_bytes() <= bound, "{} bytes > bound {bound}", set.heap_bytes());
    // And it is far below a sorted Vec<u32> (4 bytes a serial).
    assert!(set.heap_bytes() * 3 < 4 * set.len(), "{} bytes", set.heap_bytes());
    assert!(format!("{set:?}").len() < 80, "Debug is short: {set:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_sets_round_trip_and_agree(
        serials in prop::collection::vec(prop_oneof![any::<u32>(), 0u32..64, (u32::MAX - 64)..=u32::MAX, 1000u32..5000], 0..300),
        other in prop::collection::vec(any::<u32>(), 0..50),
    ) {
        let model: BTreeSet<u32> = serials.iter().copied().collect();
        let set = RevocationSet::from_serials(serials);
        check_against_model(&set, &model, 99);
        let union = set.union(&RevocationSet::from_serials(other.clone()));
        prop_assert!(union.iter().eq(model.iter().copied().chain(other).collect::<BTreeSet<_>>()));
    }
}
