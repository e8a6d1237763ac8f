//! The outbox's upload: signed batches, each acknowledged as far as the server holds it.

use icaze_core::UtcMinute;
use icaze_protocol::{UploadBatch, MAX_UPLOAD_LEN};
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;

use super::answers::Acknowledged;
use super::{
    check_status, read_capped, refused, send_failed, Enrollment, Failure, SyncClient, SyncError, SyncReport,
    UploadAnswer, MAX_ANSWER_LEN,
};
use crate::device::Device;

/// What an upload request got: an answer, or the device's standing when the
/// server refused it for that (`403 device_unknown` / `device_suspended`).
enum Uploaded {
    Answer(Box<UploadAnswer>),
    NotAccepted(Enrollment),
}

impl SyncClient {
    /// Step 1 and 2: the status request, then batches until the outbox is empty.
    pub(super) async fn upload_outbox(
        &self,
        device: &mut Device,
        now: UtcMinute,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let status = device.upload_batch(0, now)?;
        if !self.upload_and_ack(device, &status, report).await? {
            return Ok(());
        }
        while device.outbox_len()? > 0 {
            let mut limit = self.config.batch_records.max(1);
            let mut bytes = device.upload_batch(limit, now)?;
            while bytes.len() > MAX_UPLOAD_LEN && limit > 1 {
                limit /= 2;
                bytes = device.upload_batch(limit, now)?;
            }
            // A self-check of what is about to leave, and the batch's range for the progress check.
            let batch = UploadBatch::verify(&bytes)
                .map_err(|e| SyncError::Protocol(format!("the device made a batch that does not verify: {e}")))?;
            let (first, count) = (batch.first_seq(), batch.records().len() as u64);
            if count == 0 {
                break;
            }
            let before = report.acknowledged;
            report.sent += count;
            if !self.upload_and_ack(device, &bytes, report).await? {
                return Ok(());
            }
            if report.acknowledged == before {
                return Err(SyncError::NoProgress {
                    first,
                    last: first + count - 1,
                    acknowledged: report.acknowledged_seq,
                });
            }
        }
        Ok(())
    }

    /// Sends one batch and acknowledges what the answer says. Returns whether
    /// the device is active (whether to go on uploading).
    async fn upload_and_ack(
        &self,
        device: &mut Device,
        bytes: &[u8],
        report: &mut SyncReport,
    ) -> Result<bool, SyncError> {
        let url = self.url("v1/upload")?;
        report.requests += 1;
        let uploaded = self.retry(&mut report.retries, &url, || self.upload_once(&url, bytes)).await?;
        let answer = match uploaded {
            Uploaded::NotAccepted(enrollment) => {
                report.enrollment = enrollment;
                return Ok(false);
            }
            Uploaded::Answer(answer) => answer,
        };
        let ours = device.device_id().to_string();
        if !answer.device_id.is_empty() && answer.device_id != ours {
            return Err(SyncError::Protocol(format!(
                "the server answered for device {}, not for this device {ours}: check the server address",
                answer.device_id
            )));
        }
        report.enrollment = answer.enrollment()?;
        match answer.check_ours(device)? {
            Acknowledged::Ours => report.acknowledged += device.ack(answer.acknowledged_seq)?,
            Acknowledged::NotOurs => report.diverged = true,
            Acknowledged::Nothing => {}
        }
        report.acknowledged_seq = report.acknowledged_seq.max(answer.acknowledged_seq);
        report.high_water = answer.high_water;
        report.accepted += answer.accepted;
        report.duplicates += answer.duplicates;
        report.conflicts += answer.conflicts;
        report.flags = answer.flag_names();
        report.badge = answer.badge.clone().or(report.badge.take());
        report.precinct = answer.precinct.clone().or(report.precinct.take());
        report.server_time = answer.server_time.clone();
        Ok(report.enrollment == Enrollment::Active)
    }

    async fn upload_once(&self, url: &reqwest::Url, bytes: &[u8]) -> Result<Uploaded, Failure> {
        let response = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .map_err(|e| send_failed(url, e))?;
        let answer = read_capped(response, MAX_ANSWER_LEN).await?;
        if answer.status.is_success() {
            return Ok(Uploaded::Answer(Box::new(UploadAnswer::from_json(&answer.body)?)));
        }
        let error = check_status(&answer, "the upload")?;
        Err(Failure::Permanent(match (answer.status, error.code.as_str()) {
            (StatusCode::FORBIDDEN, "device_unknown") => return Ok(Uploaded::NotAccepted(Enrollment::Unknown)),
            (StatusCode::FORBIDDEN, "device_suspended") => return Ok(Uploaded::NotAccepted(Enrollment::Suspended)),
            (status, _) => refused("the upload", status, error),
        }))
    }
}
