//! The JSON shape of a verdict, as `icaze verify` prints it. Times are shown
//! in Asia/Baku time (RFC 3339 with +04:00).

use icaze_core::{Check, Verdict};
use serde_json::{json, Value};

pub(crate) fn verdict_json(verdict: &Verdict, check: &Check) -> Value {
    let reasons: Vec<Value> = verdict.reasons.iter().map(|r| json!({ "code": r.code, "message": r.message })).collect();
    let permit = verdict.permit.as_ref().map(|p| {
        let mut json = json!(icaze_device::answers::PermitAnswer::from(p));
        let c = p.claims();
        json["issued_minutes_ago"] = json!(check.at.minutes_since(c.issued_at()));
        json["minutes_left"] = json!(c.valid_until().minutes_since(check.at).max(0));
        json
    });
    json!({
        "status": verdict.status.code(),
        "reasons": reasons,
        "permit": permit,
        "checked_at": check.at.baku().to_rfc3339(),
        "zone": check.zone.map(|z| z.get()),
    })
}
