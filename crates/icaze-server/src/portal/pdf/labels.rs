//! The certificate's words in Azerbaijani, Russian and English: one table per language,
//! the same labels in each (a test keeps them equal), the same terms as the portal page.

/// The language a certificate is printed in: the one the portal user chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Azerbaijani, the default.
    #[default]
    Az,
    /// Russian.
    Ru,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order of the portal's language menu.
    pub const ALL: [Lang; 3] = [Lang::Az, Lang::Ru, Lang::En];

    /// The language of a code `az`, `ru` or `en` (the portal's `?lang=`), if it is one.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.code() == code)
    }

    /// The code: `az`, `ru` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Az => "az",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The text of `label` in this language.
    pub fn text(self, label: Label) -> &'static str {
        let table = match self {
            Lang::Az => AZ,
            Lang::Ru => RU,
            Lang::En => EN,
        };
        // Every table holds every label (`every_label_is_in_every_language`); the English
        // word, and then `?`, are only a guard that never shows.
        lookup(table, label).or_else(|| lookup(EN, label)).unwrap_or("?")
    }
}

/// A word or phrase the certificate prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// The heading of a work permit's certificate.
    WorkHeading,
    /// The heading of a business trip permit's certificate.
    TripHeading,
    /// The holder's identity document.
    Document,
    /// The holder's name.
    Name,
    /// The holder's position.
    Position,
    /// The employer.
    Organisation,
    /// The name of the taxpayer number written after the employer's name.
    TaxId,
    /// The zones the permit allows.
    Zones,
    /// The validity period.
    Validity,
    /// The time zone the period is given in.
    BakuTime,
    /// The permit's serial number.
    Serial,
    /// The car plate, for a permit with a vehicle.
    Vehicle,
    /// Said where the QR code would be when the token is too long for one.
    QrUnavailable,
}

impl Label {
    /// Every label, once.
    pub const ALL: [Label; 13] = [
        Label::WorkHeading,
        Label::TripHeading,
        Label::Document,
        Label::Name,
        Label::Position,
        Label::Organisation,
        Label::TaxId,
        Label::Zones,
        Label::Validity,
        Label::BakuTime,
        Label::Serial,
        Label::Vehicle,
        Label::QrUnavailable,
    ];
}

fn lookup(table: &[(Label, &'static str)], label: Label) -> Option<&'static str> {
    table.iter().find(|(l, _)| *l == label).map(|(_, text)| *text)
}

/// Azerbaijani.
const AZ: &[(Label, &str)] = &[
    (Label::WorkHeading, "İcazə: iş"),
    (Label::TripHeading, "İcazə: ezamiyyət"),
    (Label::Document, "Sənəd"),
    (Label::Name, "Ad, soyad"),
    (Label::Position, "Vəzifə"),
    (Label::Organisation, "Təşkilat"),
    (Label::TaxId, "VÖEN"),
    (Label::Zones, "Zonalar"),
    (Label::Validity, "Etibarlılıq"),
    (Label::BakuTime, "Bakı vaxtı"),
    (Label::Serial, "Seriya"),
    (Label::Vehicle, "Avtomobil nömrəsi"),
    (Label::QrUnavailable, "QR kod yoxdur: token çox uzundur"),
];

/// Russian.
const RU: &[(Label, &str)] = &[
    (Label::WorkHeading, "Пропуск: работа"),
    (Label::TripHeading, "Пропуск: командировка"),
    (Label::Document, "Документ"),
    (Label::Name, "Фамилия, имя"),
    (Label::Position, "Должность"),
    (Label::Organisation, "Организация"),
    (Label::TaxId, "ВОЕН"),
    (Label::Zones, "Зоны"),
    (Label::Validity, "Срок действия"),
    (Label::BakuTime, "время Баку"),
    (Label::Serial, "Серия"),
    (Label::Vehicle, "Номер автомобиля"),
    (Label::QrUnavailable, "QR-код недоступен: токен слишком длинный"),
];

/// English.
const EN: &[(Label, &str)] = &[
    (Label::WorkHeading, "Permit: work"),
    (Label::TripHeading, "Permit: business trip"),
    (Label::Document, "Document"),
    (Label::Name, "Name"),
    (Label::Position, "Position"),
    (Label::Organisation, "Organisation"),
    (Label::TaxId, "VÖEN"),
    (Label::Zones, "Zones"),
    (Label::Validity, "Validity"),
    (Label::BakuTime, "Baku time"),
    (Label::Serial, "Serial"),
    (Label::Vehicle, "Car plate"),
    (Label::QrUnavailable, "QR code unavailable: the token is too long"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_is_in_every_language() {
        for (lang, table) in [(Lang::Az, AZ), (Lang::Ru, RU), (Lang::En, EN)] {
            assert_eq!(table.len(), Label::ALL.len(), "{lang:?} has a label more or less than the others");
            for label in Label::ALL {
                let found: Vec<_> = table.iter().filter(|(l, _)| *l == label).collect();
                assert_eq!(found.len(), 1, "{lang:?} must have {label:?} exactly once");
                assert!(!found[0].1.trim().is_empty(), "{lang:?} {label:?} is empty");
                assert_eq!(lang.text(label), found[0].1);
            }
        }
    }

    #[test]
    fn languages_by_code() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::default(), Lang::Az);
        for bad in ["", "AZ", "de", "az-AZ"] {
            assert_eq!(Lang::from_code(bad), None, "{bad}");
        }
    }
}
