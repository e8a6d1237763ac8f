//! The SQLite portal store's own tests: how it writes zones and audit
//! details. What every backend must do is the conformance suite's
//! (`icaze_portal::conformance`, run in `tests/conformance.rs`); the rules'
//! tests are in `icaze-server/tests/portal.rs`.

use serde_json::json;

use super::tx::audit_json;
use super::*;
use icaze_portal::store::{AuditDetails, EditedFields, ReissuedPermit};

#[test]
fn zones_round_trip() {
    assert_eq!(zones_of(&zones_text(&[1, 2, 17])).unwrap(), vec![1, 2, 17]);
    assert_eq!(zones_of("").unwrap(), Vec::<u16>::new());
    assert!(zones_of("1;x").is_err());
}

#[test]
fn audit_details_are_stored_as_the_json_object_of_their_fields() {
    // The text the details had when the rules wrote them with `json!`, whose
    // objects keep their keys sorted: the typed details must give the same.
    let s = |t: &str| t.to_owned();
    let cases = [
        (AuditDetails::Login { login: s("a") }, json!({"login": "a"})),
        (AuditDetails::Person { login: s("a"), name: s("N") }, json!({"login": "a", "name": "N"})),
        (
            AuditDetails::OrganisationCreated { login: s("a"), name: s("N"), tax_id: s("1234567890") },
            json!({"tax_id": "1234567890", "name": "N", "login": "a"}),
        ),
        (
            AuditDetails::OrganisationRevoked { reason: s("r"), revoked: vec![1, 2] },
            json!({"revoked": [1, 2], "reason": "r"}),
        ),
        (
            AuditDetails::EmployeeAdded { document: s("AZE1"), employee: 7, serial: 9 },
            json!({"employee": 7, "document": "AZE1", "serial": 9}),
        ),
        (
            AuditDetails::EmployeeEdited {
                before: EditedFields {
                    document: s("AZE1"),
                    name: s("N"),
                    valid_from: s("2020-12-15"),
                    valid_until: s("2020-12-16"),
                    zones: vec![1, 2],
                },
                document: s("AZE2"),
                employee: 7,
                revoked: vec![9],
                serial: 10,
            },
            json!({"employee": 7, "document": "AZE2", "revoked": [9], "serial": 10, "before": {"document": "AZE1",
                "name": "N", "zones": [1, 2], "valid_from": "2020-12-15", "valid_until": "2020-12-16"}}),
        ),
        (
            AuditDetails::EmployeeDeleted { document: s("AZE1"), employee: 7, revoked: vec![] },
            json!({"employee": 7, "document": "AZE1", "revoked": []}),
        ),
        (AuditDetails::EmployeesImported { import: s("ab"), imported: 3 }, json!({"import": "ab", "imported": 3})),
        (
            AuditDetails::EmployeesDeactivated { deactivated: 3, reason: s("r") },
            json!({"deactivated": 3, "reason": "r"}),
        ),
        (
            AuditDetails::EmployeesReactivated {
                employees: vec![1, 2],
                valid_from: s("2020-12-15"),
                valid_until: s("2020-12-16"),
            },
            json!({"employees": [1, 2], "valid_from": "2020-12-15", "valid_until": "2020-12-16"}),
        ),
        (
            AuditDetails::TripAdded { employee: 7, serial: 9, trip: 2, zones: vec![3] },
            json!({"employee": 7, "trip": 2, "zones": [3], "serial": 9}),
        ),
        (
            AuditDetails::PermitsReissued {
                reason: s("the key that signed them was revoked"),
                reissued: vec![ReissuedPermit { new: 10, old: 9 }],
            },
            json!({"reason": "the key that signed them was revoked", "reissued": [{"old": 9, "new": 10}]}),
        ),
        (
            AuditDetails::FuneralIssued { document: s("AZE1"), operator: s("op"), serial: 9, zones: vec![1, 4] },
            json!({"serial": 9, "document": "AZE1", "zones": [1, 4], "operator": "op"}),
        ),
        (
            AuditDetails::FuneralRevoked { operator: s("op"), reason: s("moved"), serial: 9 },
            json!({"serial": 9, "reason": "moved", "operator": "op"}),
        ),
    ];
    for (details, expected) in cases {
        assert_eq!(audit_json(&details).unwrap(), expected.to_string(), "{details:?}");
    }
}
