//! The JSON the sync API answers with (`docs/sync-api.md`), written from the
//! sync service's plain values at this edge only.

use serde_json::{json, Value};

use super::{Activity, DeviceView, KeysReloaded, Receipt, Reissue};

/// A device, `docs/sync-api.md` section 2, with the flags' details (`gap`:
/// the first missing range, `fork_seq`: the first conflicting seq,
/// `badge_seq`: the first record under another badge).
pub fn device(view: &DeviceView) -> Value {
    let r = &view.row;
    json!({
        "device_id": r.device_id,
        "badge": r.badge,
        "precinct": r.precinct,
        "status": view.status(),
        "approved_at": r.approved_at.to_rfc3339_utc(),
        "approved_by": r.approved_by,
        "last_sync": r.last_sync.map(|t| t.to_rfc3339_utc()),
        "high_water": r.high_water,
        "flags": view.flags(),
        "gap": view.gap.map(|(from, to)| json!({"from": from, "to": to})),
        "fork_seq": r.fork_seq,
        "badge_seq": r.badge_seq,
        "conflicts": view.conflicts,
    })
}

/// The answer to an upload or an import, `docs/sync-api.md` section 4.
pub fn receipt(receipt: &Receipt) -> Value {
    let device = receipt.device.as_ref();
    json!({
        "device_id": receipt.device_id,
        "status": device.map_or("unknown", DeviceView::status),
        "badge": device.map(|d| d.row.badge.as_str()),
        "precinct": device.map(|d| d.row.precinct.as_str()),
        "acknowledged_seq": receipt.acknowledged_seq,
        "acknowledged_hash": receipt.acknowledged_hash.map(|h| h.to_hex()),
        "high_water": device.map_or(0, |d| d.row.high_water),
        "accepted": receipt.accepted,
        "duplicates": receipt.duplicates,
        "conflicts": receipt.conflicts,
        "flags": device.map(DeviceView::flags).unwrap_or_default(),
        "gap": device.and_then(|d| d.gap).map(|(from, to)| json!({"from": from, "to": to})),
        "fork_seq": device.and_then(|d| d.row.fork_seq),
        "channel": receipt.channel.code(),
        "server_time": receipt.server_time.to_rfc3339_utc(),
    })
}

/// Inspections per hour and per officer (`GET /v1/stats/hourly`).
pub fn activity(activity: &Activity) -> Value {
    json!({
        "hours": activity.hours.iter().map(|h| json!({"hour": h.hour.to_rfc3339_utc(), "inspections": h.inspections,
            "violations": h.violations, "not_valid": h.not_valid})).collect::<Vec<_>>(),
        "officers": activity.officers.iter().map(|o| json!({"badge": o.badge, "inspections": o.inspections,
            "violations": o.violations})).collect::<Vec<_>>(),
    })
}

/// What a key reload did (`POST /v1/keys/reload`).
pub fn keys_reloaded(answer: &KeysReloaded) -> Value {
    let reissued = match &answer.reissued {
        None => Value::Null,
        Some(Reissue::Done { reissued, problems }) => json!({
            "reissued": reissued,
            "problems": problems.iter().map(|p| json!({"serial": p.serial, "code": p.code, "message": p.message}))
                .collect::<Vec<_>>(),
        }),
        Some(Reissue::Failed { code, message }) => json!({"error": code, "message": message}),
    };
    json!({"trust_list_version": answer.trust_list_version, "revoked_keys": answer.revoked_keys, "reissued": reissued})
}

#[cfg(test)]
mod tests {
    use icaze_core::UtcMinute;

    use super::*;
    use crate::sync::store::DeviceRow;

    #[test]
    fn devices_show_their_flags() {
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
        let view = DeviceView { row, gap: Some((4, 6)), conflicts: 2 };
        let json = device(&view);
        assert_eq!(json["status"], "suspended");
        assert_eq!(json["flags"], json!(["gap", "fork"]));
        assert_eq!(json["gap"], json!({"from": 4, "to": 6}));
        assert_eq!(json["approved_at"], "2021-01-04T22:40:00Z");
        assert_eq!(json["last_sync"], Value::Null);
    }
}
