//! The authorised organisations the examples measure with (`organisations_size`
//! here, `organisations_delta` of icaze-sqlite, which includes this file by its
//! path): a fixed generator, so the sizes are the same on every run.

use icaze_core::{AuthorisedOrganisation, TaxId, UtcMinute, ZoneId};

const WORDS: &[&str] = &[
    "Azər",
    "Bakı",
    "Xəzər",
    "Günəş",
    "Şəfa",
    "Nur",
    "Sağlam",
    "Ekspress",
    "Servis",
    "Tikinti",
    "Logistika",
    "Qida",
    "Aptek",
    "Market",
    "Klinika",
    "Enerji",
    "Su",
    "Neft",
    "Nəqliyyat",
    "Təmir",
    "Kənd",
    "Abşeron",
    "Gəncə",
    "İnşaat",
];
const FORMS: &[&str] = &["MMC", "ASC", "QSC", "İB"];
const SECTORS: &[&str] = &[
    "səhiyyə",
    "ərzaq ticarəti",
    "aptek",
    "kommunal",
    "nəqliyyat",
    "enerji",
    "rabitə",
    "bank",
    "tikinti",
    "kənd təsərrüfatı",
    "təhlükəsizlik",
    "media",
];

/// A fixed pseudo-random sequence (a 64-bit LCG), so that every run measures the same list.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// `count` organisations, the same on every run: names of two or three words and a
/// legal form, a sector, zones for one in three, an end for one in three.
pub fn list(count: usize) -> Vec<AuthorisedOrganisation> {
    let mut rng = Lcg(23);
    let mut organisations = Vec::with_capacity(count);
    for i in 0..count as u64 {
        let words = 2 + rng.next(2);
        let mut name: Vec<&str> = (0..words).map(|_| WORDS[rng.next(WORDS.len() as u64) as usize]).collect();
        name.push(FORMS[rng.next(FORMS.len() as u64) as usize]);
        let zones = match rng.next(20) {
            0..=13 => vec![],
            14..=18 => vec![1 + rng.next(80) as u16],
            _ => vec![1, 2 + rng.next(40) as u16],
        };
        organisations.push(AuthorisedOrganisation {
            // Distinct ten-digit tax ids, spread over the range.
            tax_id: TaxId::new(1_000_000_000 + i * 733_331 % 8_999_999_999).expect("below 10^10"),
            name: name.join(" "),
            sector: SECTORS[rng.next(SECTORS.len() as u64) as usize].to_owned(),
            zones: zones.into_iter().filter_map(ZoneId::new).collect(),
            until: (rng.next(3) == 0).then(|| UtcMinute::from_unix_minutes(26_830_000 + rng.next(100_000) as u32)),
        });
    }
    organisations
}
