//! Writes the seeds that cannot be cut from the known-answer vectors:
//! revocation sets, upload batches, inspection records, enrollment codes and
//! QR images. `cargo run --example seeds` from `fuzz/`; the output is
//! committed under `corpus/`, and `make-corpus.py` writes the rest.

use std::path::Path;

use icaze_core::{RevocationSet, SecretKey, UtcMinute, ZoneId};
use icaze_protocol::{
    chain_hash, EnrollmentCode, InputKind, InspectionRecord, OfficerBadge, Outcome, RecordId, UploadBatch, GENESIS_HASH,
};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn records(n: u64) -> Vec<InspectionRecord> {
    let mut prev = GENESIS_HASH;
    (1..=n)
        .map(|seq| {
            let manual = seq % 3 == 0;
            let mut r = InspectionRecord {
                id: RecordId([seq as u8; 16]),
                seq,
                at: UtcMinute::from_unix_minutes(26_830_000 + seq as u32),
                officer: OfficerBadge::new("B-1042").unwrap(),
                zone: ZoneId::new(1).unwrap(),
                location: icaze_protocol::Location::from_e7(404_093_000, 498_671_000).filter(|_| seq % 2 == 0),
                input: if manual { InputKind::Violation } else { InputKind::Token },
                serial: (!manual).then_some(icaze_core::PermitSerial(seq as u32 * 7)),
                document: Some("AZE11111111".into()),
                outcome: (!manual).then(|| Outcome {
                    verdict: "revoked".into(),
                    display: "not_valid".into(),
                    reasons: vec!["revoked".into()],
                    warnings: vec!["data_stale".into()],
                }),
                action: Some("protocol".into()),
                note: Some("near the metro".into()),
                details: if manual {
                    vec![("protocol_number".into(), "AB-1".into()), ("article".into(), "211-1".into())]
                } else {
                    vec![]
                },
                prev_hash: prev,
                hash: GENESIS_HASH,
            };
            r.hash = chain_hash(&prev, &r.body().unwrap());
            prev = r.hash;
            r
        })
        .collect()
}

fn main() {
    for (name, serials) in [
        ("empty", vec![]),
        ("one", vec![7]),
        ("few", vec![1, 2, 3, 1000, 4_000_000_000]),
        ("many", (0..2000u32).map(|i| i.wrapping_mul(2_654_435_761)).collect()),
    ] {
        write("revocations", name, &RevocationSet::from_serials(serials).encode());
    }
    let key = SecretKey::from_seed(&[9; 32]);
    let all = records(6);
    write("upload_batch", "empty", &UploadBatch::sign_empty(&key, UtcMinute::from_unix_minutes(26_830_100), 1));
    write("upload_batch", "six", &UploadBatch::sign(&key, UtcMinute::from_unix_minutes(26_830_100), &all).unwrap());
    write(
        "upload_batch",
        "middle",
        &UploadBatch::sign(&key, UtcMinute::from_unix_minutes(26_830_100), &all[2..4]).unwrap(),
    );
    for (i, r) in all.iter().take(3).enumerate() {
        write("inspection_record", &format!("record-{i}"), &r.body().unwrap());
    }
    for seed in 1..=3u8 {
        let code = EnrollmentCode::of(&SecretKey::from_seed(&[seed; 32]).public_key()).to_string();
        write("enrollment_code", &format!("code-{seed}"), code.as_bytes());
    }
    write("enrollment_code", "lowercase", b"iczd1-aaaa bbbb cccc");
    let token = "IZ1EgEHW80VAesiAWgAIUCpises5lYXqkrgDjxkfho2q6AsJuZE-lpjiGGWT";
    for (name, text, px) in
        [("token-2px", token, 2), ("digits-1px", "120107512345678901234567890", 1), ("hello-3px", "hello", 3)]
    {
        write("qr_image", name, &icaze_qr::encode(text).unwrap().to_png(px).unwrap());
    }
}
