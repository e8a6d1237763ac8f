//! What the authorised organisations add to a sync bundle (issue 23): the
//! section's bytes for a list of synthetic organisations shaped like the
//! registry's (names of two or three words and a legal form, a dozen sectors,
//! most organisations in every zone, some in one or a few, a third with an
//! end date), and the time to encode and decode it on this machine.
//!
//! ```text
//! cargo run -p icaze-core --example organisations_size -- 10000
//! ```
//!
//! The list is made by a fixed generator, so the sizes are the same on every
//! run; the times are not (`docs/benchmarks.md`).

use std::time::Instant;

use icaze_core::AuthorisedOrganisations;

#[path = "common/organisations.rs"]
mod organisations;

fn main() {
    let count: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let list = AuthorisedOrganisations::new(organisations::list(count)).expect("a list the format carries");
    let names: usize = list.as_slice().iter().map(|o| o.name.len()).sum();
    let started = Instant::now();
    let bytes = list.encode();
    let encoded = started.elapsed();
    let started = Instant::now();
    let again = AuthorisedOrganisations::decode(&bytes).expect("decodes");
    let decoded = started.elapsed();
    assert_eq!(again, list);
    // The section in a bundle: its tag (1 byte) and length (4 bytes) besides.
    let section = bytes.len() + 5;
    println!("organisations: {count}");
    println!("section bytes (with tag and length): {section}");
    println!("bytes per organisation: {:.1}", section as f64 / count.max(1) as f64);
    println!("mean name bytes: {:.1}", names as f64 / count.max(1) as f64);
    println!("encode: {encoded:?}, decode: {decoded:?}");
}
