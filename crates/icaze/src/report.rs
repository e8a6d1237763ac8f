//! The JSON shape of a verdict, as `icaze verify` prints it. Times are shown
//! in Asia/Baku time (RFC 3339 with +04:00).

use icaze_core::{Check, Verdict};
use serde_json::{json, Value};

pub(crate) fn verdict_json(verdict: &Verdict, check: &Check) -> Value {
    let reasons: Vec<Value> = verdict.reasons.iter().map(|r| json!({ "code": r.code, "message": r.message })).collect();
    let permit = verdict.permit.as_ref().map(|p| {
        let c = p.claims();
        json!({
            "serial": c.serial().0,
            "key_id": p.key_id().0,
            "document": c.document().to_string(),
            "document_kind": c.document().kind().code(),
            "purpose": c.purpose().name(),
            "zones": c.zones().iter().map(|z| z.get()).collect::<Vec<_>>(),
            "issued_at": c.issued_at().baku().to_rfc3339(),
            "issued_minutes_ago": check.at.minutes_since(c.issued_at()),
            "valid_from": c.valid_from().baku().to_rfc3339(),
            "valid_until": c.valid_until().baku().to_rfc3339(),
            "minutes_left": c.valid_until().minutes_since(check.at).max(0),
            "vehicle": c.vehicle().map(|v| v.as_str().to_owned()),
        })
    });
    json!({
        "status": verdict.status.code(),
        "reasons": reasons,
        "permit": permit,
        "checked_at": check.at.baku().to_rfc3339(),
        "zone": check.zone.map(|z| z.get()),
    })
}
