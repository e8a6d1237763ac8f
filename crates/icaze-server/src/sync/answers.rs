//! The sync API's answers (`docs/sync-api.md`), written from the sync
//! service's plain values as the typed answers of `icaze_protocol::api::sync`
//! at this edge only; the client reads the same types.

use icaze_protocol::api::sync as api;
use icaze_protocol::api::SeqRange;

use super::store::{AuditRecord, RevocationRow};
use super::{Activity, Caller, DeviceView, InspectionPage, KeysReloaded, Receipt, Reissue};

fn range(gap: Option<(u64, u64)>) -> Option<SeqRange> {
    gap.map(|(from, to)| SeqRange { from, to })
}

fn flags(view: &DeviceView) -> Vec<String> {
    view.flags().into_iter().map(str::to_owned).collect()
}

/// A device, `docs/sync-api.md` section 2, with the flags' details (`gap`:
/// the first missing range, `fork_seq`: the first conflicting seq,
/// `badge_seq`: the first record under another badge).
pub fn device(view: &DeviceView) -> api::Device {
    let r = &view.row;
    api::Device {
        device_id: r.device_id.clone(),
        badge: r.badge.clone(),
        precinct: r.precinct.clone(),
        status: view.status().to_owned(),
        approved_at: r.approved_at.to_rfc3339_utc(),
        approved_by: r.approved_by.clone(),
        last_sync: r.last_sync.map(|t| t.to_rfc3339_utc()),
        high_water: r.high_water,
        flags: flags(view),
        gap: range(view.gap),
        fork_seq: r.fork_seq,
        badge_seq: r.badge_seq,
        conflicts: view.conflicts,
    }
}

/// The devices a credential may see.
pub fn devices(views: &[DeviceView]) -> api::DeviceList {
    api::DeviceList { devices: views.iter().map(device).collect() }
}

/// The answer to an upload or an import, `docs/sync-api.md` section 4.
pub fn receipt(receipt: &Receipt) -> api::Receipt {
    let device = receipt.device.as_ref();
    api::Receipt {
        device_id: receipt.device_id.clone(),
        status: device.map_or("unknown", DeviceView::status).to_owned(),
        badge: device.map(|d| d.row.badge.clone()),
        precinct: device.map(|d| d.row.precinct.clone()),
        acknowledged_seq: receipt.acknowledged_seq,
        acknowledged_hash: receipt.acknowledged_hash.map(|h| h.to_hex()),
        high_water: device.map_or(0, |d| d.row.high_water),
        accepted: receipt.accepted,
        duplicates: receipt.duplicates,
        conflicts: receipt.conflicts,
        flags: device.map(flags).unwrap_or_default(),
        gap: range(device.and_then(|d| d.gap)),
        fork_seq: device.and_then(|d| d.row.fork_seq),
        channel: receipt.channel.code().to_owned(),
        server_time: receipt.server_time.to_rfc3339_utc(),
    }
}

/// The revocations since a version (`GET /v1/revocations`).
pub fn revocations(rows: &[RevocationRow]) -> api::RevocationList {
    let revocation = |r: &RevocationRow| api::Revocation {
        serial: r.serial,
        version: r.version,
        at: r.at.to_rfc3339_utc(),
        by: r.by.clone(),
        reason: r.reason.clone(),
        document: r.document.clone(),
    };
    api::RevocationList { revocations: rows.iter().map(revocation).collect() }
}

/// A page of inspections, each record with its device and precinct.
pub fn inspections(page: &InspectionPage) -> api::InspectionPage {
    let inspection = |(device_id, precinct, record): &(String, String, icaze_protocol::InspectionRecord)| {
        api::Inspection { device_id: device_id.clone(), precinct: precinct.clone(), record: record.to_api() }
    };
    api::InspectionPage { inspections: page.records.iter().map(inspection).collect(), next: page.next.clone() }
}

/// Inspections per hour and per officer (`GET /v1/stats/hourly`).
pub fn activity(activity: &Activity) -> api::Activity {
    api::Activity {
        hours: activity
            .hours
            .iter()
            .map(|h| api::HourActivity {
                hour: h.hour.to_rfc3339_utc(),
                inspections: h.inspections,
                violations: h.violations,
                not_valid: h.not_valid,
            })
            .collect(),
        officers: activity
            .officers
            .iter()
            .map(|o| api::OfficerActivity {
                badge: o.badge.clone(),
                inspections: o.inspections,
                violations: o.violations,
            })
            .collect(),
    }
}

/// A page of the audit trail: each entry's details as the store keeps them
/// (JSON, or the text of an entry older than typed details).
pub fn audit(entries: &[(i64, AuditRecord)]) -> api::AuditPage {
    let entry = |(id, e): &(i64, AuditRecord)| api::AuditEntry {
        id: *id,
        at: e.at.to_rfc3339_utc(),
        who: e.who.clone(),
        what: e.what.clone(),
        details: crate::api::stored_details(&e.details),
    };
    api::AuditPage { audit: entries.iter().map(entry).collect() }
}

/// What a key reload did (`POST /v1/keys/reload`).
pub fn keys_reloaded(answer: &KeysReloaded) -> api::KeysReloaded {
    let reissued = answer.reissued.as_ref().map(|r| match r {
        Reissue::Done { reissued, problems } => api::Reissue::Done {
            reissued: *reissued as u64,
            problems: problems
                .iter()
                .map(|p| api::ReissueProblem { serial: p.serial, code: p.code.to_owned(), message: p.message.clone() })
                .collect(),
        },
        Reissue::Failed { code, message } => {
            api::Reissue::Failed { error: (*code).to_owned(), message: message.clone() }
        }
    });
    api::KeysReloaded {
        trust_list_version: answer.trust_list_version,
        revoked_keys: answer.revoked_keys.clone(),
        reissued,
    }
}

/// Who the caller is (`GET /v1/whoami`).
pub fn whoami(caller: &Caller) -> api::Whoami {
    let role = match caller {
        Caller::Admin => "admin",
        Caller::Supervisor { .. } => "supervisor",
        Caller::Service { .. } => "service",
    };
    api::Whoami {
        role: role.to_owned(),
        name: Some(caller.name().to_owned()),
        precinct: caller.precinct().map(str::to_owned),
        investigator: caller.people_access().is_ok_and(|a| a == icaze_sync_service::PeopleAccess::Full),
    }
}

#[cfg(test)]
mod tests {
    use icaze_core::UtcMinute;
    use icaze_protocol::samples;
    use serde_json::{json, Value};

    use super::*;
    use crate::api::round_trip;
    use crate::sync::store::DeviceRow;
    use crate::sync::{Channel, ReissueProblem};

    fn view() -> DeviceView {
        let row = DeviceRow {
            device_id: "D".into(),
            public_key: [0; 32],
            badge: "B-1".into(),
            precinct: "P-1".into(),
            suspended: true,
            approved_at: UtcMinute::from_unix_minutes(26_830_000),
            approved_by: "admin".into(),
            last_sync: None,
            high_water: 3,
            max_seq: 9,
            fork_seq: Some(5),
            badge_seq: None,
        };
        DeviceView { row, gap: Some((4, 6)), conflicts: 2 }
    }

    #[test]
    fn devices_show_their_flags() {
        let json = round_trip(&devices(&[view()]));
        let device = &json["devices"][0];
        assert_eq!(device["status"], "suspended");
        assert_eq!(device["flags"], json!(["gap", "fork"]));
        assert_eq!(device["gap"], json!({"from": 4, "to": 6}));
        assert_eq!(device["approved_at"], "2021-01-04T22:40:00Z");
        assert_eq!(device["last_sync"], Value::Null);
        assert_eq!(device["badge_seq"], Value::Null);
    }

    #[test]
    fn a_receipt_of_an_unknown_device_has_nulls_not_holes() {
        let unknown = Receipt {
            device: None,
            device_id: "X".into(),
            acknowledged_seq: 0,
            acknowledged_hash: None,
            accepted: 0,
            duplicates: 0,
            conflicts: 0,
            channel: Channel::Upload,
            server_time: UtcMinute::from_unix_minutes(26_830_000),
        };
        let json = round_trip(&receipt(&unknown));
        assert_eq!((json["status"].as_str(), json["channel"].as_str()), (Some("unknown"), Some("upload")));
        for key in ["badge", "precinct", "acknowledged_hash", "gap", "fork_seq"] {
            assert_eq!(json.get(key), Some(&Value::Null), "{key}");
        }
        let known = Receipt { device: Some(view()), channel: Channel::File, ..unknown };
        let json = round_trip(&receipt(&known));
        assert_eq!((json["badge"].as_str(), json["high_water"].as_u64()), (Some("B-1"), Some(3)));
    }

    #[test]
    fn inspections_carry_the_record_with_its_device_beside_it() {
        let records = samples::sample_log(1, "B-1", 2, UtcMinute::from_unix_minutes(26_830_000));
        let page = InspectionPage {
            records: records.iter().map(|r| ("D1".to_owned(), "P-1".to_owned(), r.clone())).collect(),
            next: Some("c".into()),
        };
        let json = round_trip(&inspections(&page));
        let first = &json["inspections"][0];
        let mut expected = records[0].to_json();
        expected["device_id"] = json!("D1");
        expected["precinct"] = json!("P-1");
        assert_eq!(first, &expected);
        assert_eq!(json["next"], "c");
    }

    #[test]
    fn a_key_reload_says_what_its_reissue_came_to() {
        let problem = ReissueProblem { serial: 7, code: "x", message: "m".into() };
        let done = KeysReloaded {
            trust_list_version: 2,
            revoked_keys: vec![3],
            reissued: Some(Reissue::Done { reissued: 4, problems: vec![problem] }),
        };
        let json = round_trip(&keys_reloaded(&done));
        assert_eq!(json["reissued"], json!({"reissued": 4, "problems": [{"serial": 7, "code": "x", "message": "m"}]}));
        let failed = KeysReloaded { reissued: Some(Reissue::Failed { code: "c", message: "m".into() }), ..done };
        assert_eq!(round_trip(&keys_reloaded(&failed))["reissued"], json!({"error": "c", "message": "m"}));
        let none = KeysReloaded { reissued: None, ..failed };
        assert_eq!(round_trip(&keys_reloaded(&none))["reissued"], Value::Null);
    }

    #[test]
    fn whoami_names_the_role() {
        let json = round_trip(&whoami(&Caller::Admin));
        assert_eq!(json, json!({"role": "admin", "name": "admin", "precinct": null, "investigator": true}));
    }
}
