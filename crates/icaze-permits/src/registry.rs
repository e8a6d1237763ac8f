//! The demo registry: synthetic people only, for the README's run command and tests.

use std::fmt::Write as _;

/// Well-known demo people, each showing one rule.
pub const DEMO_PEOPLE: &[(&str, &str, u16, &str)] = &[
    ("AZE11111111", "1980-05-17", 1, "Baku, gets permits"),
    ("AZE22222222", "1950-01-02", 1, "Baku, over 65 (refused where the regime has an age limit)"),
    ("AZE33333333", "1975-03-03", 101, "a village outside the restricted region centres: no permit needed"),
    ("AZE44444444", "1990-04-04", 3, "Ganja, on the deny list"),
    ("MYI1234567", "1985-06-06", 2, "Sumgayit, temporary residence permit"),
    ("DYI7654321", "1979-07-07", 7, "Lankaran city, permanent residence permit"),
];

/// A population registry CSV (`document,birth_date,zone`) with the demo people
/// and `count` more synthetic people (`AZE5xxxxxxx`) spread over zones 1..17.
pub fn demo_people_csv(count: u32) -> String {
    let mut csv = String::from("document,birth_date,zone\n");
    for (document, birth, zone, _) in DEMO_PEOPLE {
        let _ = writeln!(csv, "{document},{birth},{zone}");
    }
    for i in 0..count {
        let year = 1940 + i % 65;
        let month = 1 + i % 12;
        let day = 1 + i % 28;
        let zone = 1 + i % 17;
        let _ = writeln!(csv, "AZE{:08},{year}-{month:02}-{day:02},{zone}", 50_000_000 + i);
    }
    csv
}

/// The demo deny list CSV (`document,reason,until`).
pub fn demo_denials_csv() -> String {
    "document,reason,until\nAZE44444444,registered as infected (demo),\n".to_owned()
}
