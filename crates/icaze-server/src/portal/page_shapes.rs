//! The fields of the portal's answers that the page (`web/portal/*.js`, plain
//! modules with no build step and no types) reads, checked against a sample
//! of each answer serialized from its Rust type (`icaze_protocol::api::portal`):
//! a field renamed or dropped on the Rust side fails here, not in a browser.
//!
//! Each row names a module, a sample, and the JSON pointers the module reads
//! in it; the test also checks that the module's text reads each pointer's
//! last name (`.name`, `?.name` or `["name"]`), so that the list follows the
//! page. Not checked: fields the page reads that no row lists.

use icaze_protocol::api::portal::*;
use icaze_protocol::api::Detail;
use serde_json::Value;

fn permit(serial: u32) -> Permit {
    Permit {
        serial,
        token: "IZ2T".into(),
        valid_from: "2020-12-15T06:00:00Z".into(),
        valid_until: "2020-12-16T06:00:00Z".into(),
    }
}

fn employee() -> Employee {
    let trip = Trip {
        id: 5,
        employee: 2,
        zones: vec![4],
        valid_from: "2020-12-16".into(),
        valid_until: "2020-12-17".into(),
        permit: Some(permit(8)),
    };
    Employee {
        id: 2,
        document: "AZE12345678".into(),
        name: "Əli Məmmədov".into(),
        position: "sürücü".into(),
        zones: vec![1, 3],
        valid_from: "2020-12-15".into(),
        valid_until: "2020-12-20".into(),
        plate: None,
        status: "active".into(),
        permit: Some(permit(7)),
        trips: vec![trip],
    }
}

fn sample(answer: impl serde::Serialize) -> Value {
    serde_json::to_value(answer).expect("an answer serializes")
}

/// `(module, sample, pointers read)`.
fn rows() -> Vec<(&'static str, &'static str, Value, Vec<&'static str>)> {
    let session = sample(Session {
        user: User {
            login: "a.b".into(),
            name: "A B".into(),
            role: "employer".into(),
            must_change_password: true,
            org: Some(OrgRef { id: 1, name: "Org".into(), tax_id: "1234567890".into() }),
        },
        csrf: "t".into(),
    });
    let page = sample(EmployeePage { employees: vec![employee()], next: Some(2) });
    let org = sample(Org {
        id: 1,
        name: "Org".into(),
        tax_id: "1234567890".into(),
        persons: vec![Person {
            login: "a.b".into(),
            name: "A B".into(),
            active: true,
            created_by: "admin".into(),
            created_at: "2020-12-15T06:00:00Z".into(),
        }],
    });
    let funeral = Funeral {
        serial: 9,
        token: "IZ2T".into(),
        document: "AZE1".into(),
        zones: vec![1],
        valid_from: "2020-12-15T06:00:00Z".into(),
        valid_until: "2020-12-15T18:00:00Z".into(),
        operator: "op".into(),
        note: None,
        revoked: false,
    };
    let import = sample(ImportStatus {
        id: "i1".into(),
        state: "done".into(),
        total: 3,
        processed: 3,
        imported: 2,
        problems: vec![ImportProblem {
            line: 3,
            message: "x".into(),
            code: "invalid_zone".into(),
            detail: Detail {
                case: Some("not_in_regime".into()),
                field: Some("zones".into()),
                params: [("zone".to_owned(), "999".to_owned())].into(),
            },
        }],
        problems_total: 1,
    });
    let audit = sample(AuditPage {
        entries: vec![AuditEntry {
            id: 1,
            at: "2020-12-15T06:00:00Z".into(),
            by: "a.b".into(),
            action: "login".into(),
            details: serde_json::json!({"login": "a.b"}),
        }],
        next: None,
    });
    let reactivated = sample(Reactivated {
        reactivated: 1,
        problems: vec![ReactivateProblem {
            id: 4,
            code: "invalid_dates".into(),
            message: "m".into(),
            detail: Detail {
                case: Some("past".into()),
                field: Some("valid_until".into()),
                params: [("date".to_owned(), "2020-12-15 00:00".to_owned())].into(),
            },
        }],
    });
    let refusal = sample(icaze_protocol::api::Refusal {
        code: "throttled".into(),
        message: "m".into(),
        retry_after: Some(60),
        detail: Detail {
            case: Some("c".into()),
            field: Some("login".into()),
            params: [("retry_after".to_owned(), "60".to_owned())].into(),
        },
    });
    let zones = sample(ZoneList { zones: vec![Zone { id: 1, az: "a".into(), ru: "r".into(), en: "e".into() }] });
    let e = "/employees/0";
    vec![
        ("account.js", "session", session.clone(), vec!["/user", "/csrf", "/user/must_change_password"]),
        ("app.js", "session", session.clone(), vec!["/user", "/csrf", "/user/must_change_password"]),
        ("chrome.js", "session", session.clone(), vec!["/user/must_change_password"]),
        ("session.js", "session", session, vec!["/user/must_change_password"]),
        (
            "employees.js",
            "employees",
            page.clone(),
            vec![
                "/employees",
                "/next",
                "/employees/0/zones",
                "/employees/0/valid_from",
                "/employees/0/valid_until",
                "/employees/0/permit/serial",
                "/employees/0/trips",
            ],
        ),
        ("employees.js", "preview", sample(EditPreview { reissues: true, revokes: vec![7] }), vec!["/reissues"]),
        (
            "reactivate.js",
            "employees",
            page.clone(),
            vec!["/employees", "/employees/0/id", "/employees/0/document", "/employees/0/name"],
        ),
        (
            "reactivate.js",
            "reactivated",
            reactivated.clone(),
            vec!["/reactivated", "/problems", "/problems/0/id", "/problems/0/code", "/problems/0/message"],
        ),
        // A refusal, an import's problem and a reactivation's are said from their code, case, field and values.
        ("messages.js", "refusal", refusal.clone(), vec!["/code", "/case", "/field", "/params"]),
        ("api.js", "refusal", refusal, vec!["/code", "/message", "/retry_after"]),
        (
            "messages.js",
            "import",
            import.clone(),
            vec!["/problems/0/code", "/problems/0/case", "/problems/0/field", "/problems/0/params"],
        ),
        ("api.js", "import", import.clone(), vec!["/problems/0/line", "/problems/0/code", "/problems/0/message"]),
        (
            "messages.js",
            "reactivated",
            reactivated,
            vec!["/problems/0/code", "/problems/0/case", "/problems/0/field", "/problems/0/params"],
        ),
        (
            "trips.js",
            "employee",
            page.pointer(e).cloned().unwrap_or_default(),
            vec![
                "/trips/0/id",
                "/trips/0/zones",
                "/trips/0/valid_from",
                "/trips/0/valid_until",
                "/trips/0/permit/serial",
            ],
        ),
        ("permit.js", "permit", sample(permit(7)), vec!["/serial", "/token", "/valid_from", "/valid_until"]),
        (
            "funeral.js",
            "funerals",
            sample(FuneralPage { permits: vec![funeral], next: Some(9) }),
            vec![
                "/permits",
                "/next",
                "/permits/0/zones",
                "/permits/0/valid_from",
                "/permits/0/valid_until",
                "/permits/0/operator",
            ],
        ),
        (
            "import.js",
            "import",
            import,
            vec!["/processed", "/total", "/imported", "/problems", "/problems_total", "/problems/0/line"],
        ),
        (
            "org.js",
            "org",
            org,
            vec![
                "/persons",
                "/tax_id",
                "/persons/0/login",
                "/persons/0/name",
                "/persons/0/active",
                "/persons/0/created_by",
                "/persons/0/created_at",
            ],
        ),
        (
            "audit.js",
            "audit",
            audit,
            vec!["/entries", "/next", "/entries/0/id", "/entries/0/by", "/entries/0/action", "/entries/0/details"],
        ),
        ("zones.js", "zones", zones, vec!["/zones", "/zones/0/id", "/zones/0/en"]),
    ]
}

/// A module's text, as the server embeds it.
fn module(name: &str) -> &'static str {
    let found = crate::web::PORTAL_MODULES.iter().find(|(file, _)| *file == name);
    found.map(|(_, text)| *text).unwrap_or_else(|| panic!("no module {name} in the portal"))
}

/// What is wrong with one row: a pointer the sample lacks, or a field the module no longer reads.
fn problems(name: &str, what: &str, sample: &Value, pointers: &[&str]) -> Vec<String> {
    let text = module(name);
    let mut problems = Vec::new();
    for pointer in pointers {
        if sample.pointer(pointer).is_none() {
            problems.push(format!("{name} reads {pointer} of the {what} answer, which has no such field"));
        }
        let field = pointer.rsplit('/').next().unwrap_or_default();
        let read = field.parse::<usize>().is_ok()
            || [format!(".{field}"), format!("[\"{field}\"]")].iter().any(|form| text.contains(form.as_str()));
        if !read {
            problems
                .push(format!("{name} no longer reads `{field}` ({pointer} of the {what} answer): update the list"));
        }
    }
    problems
}

#[test]
fn every_field_the_page_reads_is_in_the_answer_the_server_writes() {
    let all: Vec<String> =
        rows().iter().flat_map(|(name, what, sample, pointers)| problems(name, what, sample, pointers)).collect();
    assert!(all.is_empty(), "{}", all.join("\n"));
}

#[test]
fn a_renamed_field_or_a_field_the_page_stopped_reading_is_caught() {
    let mut renamed = sample(permit(7));
    let from = renamed.as_object_mut().unwrap().remove("valid_from").unwrap();
    renamed["valid_since"] = from;
    let found = problems("permit.js", "permit", &renamed, &["/valid_from"]);
    assert_eq!(found, ["permit.js reads /valid_from of the permit answer, which has no such field"]);
    let unread = problems("permit.js", "permit", &sample(permit(7)), &["/valid_from", "/revoked"]);
    assert_eq!(unread.len(), 2, "{unread:?}");
    assert!(unread[1].contains("no longer reads `revoked`"), "{unread:?}");
}
