//! Runs one operation of the benchmarks `N` times, for counting instructions
//! under Valgrind, which, unlike wall time on a shared machine, does not
//! depend on load, frequency or code alignment:
//!
//! ```text
//! cargo build --release -p icaze-bench --example instructions
//! valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
//!     target/release/examples/instructions icaze-verify 1000
//! ```
//!
//! Instructions per call = (I refs at N − I refs of `nothing` at N) / N. All
//! fixtures are built whatever the operation, so `nothing` is the same setup
//! and loop.
//! `count-instructions.sh` beside this crate's Cargo.toml does all of them.

use std::hint::black_box;

use ed25519_dalek::Signer as _;
use icaze_bench::{hc1, jwt, paseto, Fixture};
use icaze_core::{issue, KeyId, UnverifiedPermit};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(op), Some(n)) = (args.next(), args.next()) else {
        return Err("usage: instructions OPERATION COUNT".into());
    };
    let n: u32 = n.parse()?;
    const OPERATIONS: [&str; 13] = [
        "icaze-verify",
        "icaze-verify-qr",
        "icaze-parse",
        "raw-verify",
        "icaze-sign",
        "raw-sign",
        "paseto-verify",
        "jwt-verify",
        "hc1-verify",
        "paseto-sign",
        "jwt-sign",
        "hc1-sign",
        "nothing",
    ];
    if !OPERATIONS.contains(&op.as_str()) {
        return Err(format!("unknown operation {op}; one of {}", OPERATIONS.join(", ")).into());
    }

    let fx = Fixture::new();
    let sms = fx.token.to_text();
    let digits = fx.token.to_qr_digits();
    let message = fx.signed_message();
    let signature = fx.signature();
    let public = fx.public_key();
    let key = fx.signing_key();
    let paseto_text = paseto::sign(&fx.paseto_signer(), &fx.plain)?;
    let paseto_signer = fx.paseto_signer();
    let paseto_verifier = fx.paseto_verifier();
    let jwt_signer = fx.jwt_signer();
    let jwt_text = jwt::sign(&jwt_signer, &fx.plain)?;
    let jwt_verifier = fx.jwt_verifier();
    let hc1_text = hc1::sign(&key, &fx.plain, hc1::Compression::Zlib)?;

    for _ in 0..n {
        match op.as_str() {
            "icaze-verify" => {
                black_box(fx.trust.verify(&UnverifiedPermit::from_text(black_box(&sms))?)?);
            }
            "icaze-verify-qr" => {
                black_box(fx.trust.verify(&UnverifiedPermit::from_text(black_box(&digits))?)?);
            }
            "icaze-parse" => {
                black_box(UnverifiedPermit::from_text(black_box(&sms))?);
            }
            "raw-verify" => public.verify_strict(black_box(&message), black_box(&signature))?,
            "icaze-sign" => {
                black_box(issue(&fx.issuer, KeyId(1), black_box(&fx.claims)).to_text());
            }
            "raw-sign" => {
                black_box(key.sign(black_box(&message)));
            }
            "paseto-verify" => {
                black_box(paseto::verify(&paseto_verifier, black_box(&paseto_text))?);
            }
            "jwt-verify" => {
                black_box(jwt::verify(&jwt_verifier, black_box(&jwt_text))?);
            }
            "hc1-verify" => {
                black_box(hc1::verify(&public, black_box(&hc1_text))?);
            }
            "paseto-sign" => {
                black_box(paseto::sign(&paseto_signer, black_box(&fx.plain))?);
            }
            "jwt-sign" => {
                black_box(jwt::sign(&jwt_signer, black_box(&fx.plain))?);
            }
            "hc1-sign" => {
                black_box(hc1::sign(&key, black_box(&fx.plain), hc1::Compression::Zlib)?);
            }
            "nothing" => {}
            _ => unreachable!("checked against OPERATIONS above"),
        }
    }
    Ok(())
}
