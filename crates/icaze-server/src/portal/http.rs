//! The routes of `docs/portal-api.md`: `/portal/api/…` for authorised
//! persons and operators (session cookie `icaze_portal`, `X-CSRF-Token` on
//! every request but `GET` and login), and the administrator's `/v1/…`
//! routes (the sync API's bearer token). Thin handlers over
//! [`PortalService`], run on the blocking pool; errors as JSON
//! `{code, message}`; JSON bodies capped at 64 KiB, CSV imports at 16 MiB.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Extension, Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::Router;
use icaze_protocol::api::portal::{
    Deactivated, FuneralSent, ImportStarted, LoggedOut, NewAccount, OrgCreated, PasswordChanged, PermitsRevoked,
    PersonRemoved,
};
use serde::Deserialize;

use super::pdf::labels::Lang;
use super::sender::{self, SmsSender};
use super::store::{EmployeeQuery, EmployeeStatus};
use super::{answers, EmployeeInput, FuneralInput, PortalError, PortalService, Principal, Printable, TripInput};
use crate::api::{self, blocking, json_response, ok, reply, Answer, ApiError, Query, RawBody};
use crate::listener::ClientAddr;
use crate::metrics::{LoginOutcome, ServiceMetrics};
use crate::store::PermitStore;

/// The largest JSON request body.
pub const MAX_JSON: usize = 64 * 1024;
/// The largest CSV import.
pub const MAX_CSV: usize = 16 << 20;
/// The session cookie's name.
pub const COOKIE: &str = api::SESSION_COOKIE;
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = api::CSRF_HEADER;

/// The routes of the portal and of the administrator's portal actions. No
/// fallback: the router is merged with the sync API's, which has one.
/// `sender`: the SMS gateway's send interface, if the service has one.
pub fn router<S: PermitStore>(svc: Arc<PortalService<S>>, sender: Option<SmsSender>) -> Router {
    let json_limit = DefaultBodyLimit::max(MAX_JSON);
    Router::new()
        .route("/portal/api/login", post(login::<S>).layer(json_limit))
        .route("/portal/api/logout", post(logout::<S>).layer(json_limit))
        .route("/portal/api/session", get(session::<S>))
        .route("/portal/api/password", post(password::<S>).layer(json_limit))
        .route("/portal/api/org", get(org::<S>))
        .route("/portal/api/zones", get(zones::<S>))
        .route("/portal/api/org/persons", post(add_person::<S>).layer(json_limit))
        .route("/portal/api/org/persons/{login}", delete(remove_person::<S>))
        .route("/portal/api/audit", get(audit::<S>))
        .route("/portal/api/employees", get(employees::<S>).post(add_employee::<S>).layer(json_limit))
        .route("/portal/api/employees/reactivate", post(reactivate::<S>).layer(json_limit))
        .route(
            "/portal/api/employees/{id}",
            get(employee::<S>).put(edit_employee::<S>).delete(delete_employee::<S>).layer(json_limit),
        )
        .route("/portal/api/employees/{id}/preview", post(preview_edit::<S>).layer(json_limit))
        .route("/portal/api/employees/{id}/trips", post(add_trip::<S>).layer(json_limit))
        .route("/portal/api/employees/{id}/{document}", get(document::<S, false>))
        .route("/portal/api/trips/{id}/{document}", get(document::<S, true>))
        .route("/portal/api/imports", post(start_import::<S>).layer(DefaultBodyLimit::max(MAX_CSV)))
        .route("/portal/api/imports/{id}", get(import_status::<S>))
        .route("/portal/api/funeral", post(funeral::<S>).get(funerals::<S>).layer(json_limit))
        .route("/portal/api/funeral/{serial}/revoke", post(revoke_funeral::<S>).layer(json_limit))
        .route("/portal/api/funeral/{serial}/sms", post(send_funeral::<S>).layer(json_limit))
        .route("/v1/organisations", post(create_org::<S>).layer(json_limit))
        .route("/v1/organisations/{id}/revoke", post(revoke_org::<S>).layer(json_limit))
        .route("/v1/operators", post(create_operator::<S>).layer(json_limit))
        .route("/v1/portal/deactivate", post(deactivate::<S>).layer(json_limit))
        .with_state(svc)
        .layer(Extension(sender.map(Arc::new)))
}

/// A handler's service and credentials.
type Call<S> = api::Call<PortalService<S>>;
/// A JSON body of the portal's API.
type Json<T> = api::Json<T, PortalError>;

impl<S: PermitStore> Call<S> {
    /// Runs `work` on the blocking pool for the session's person, who only
    /// reads (no CSRF token asked). A session opened with a one-time password
    /// is refused (`password_change_required`): only [`Call::any_session`]'s
    /// routes take it.
    async fn read<T: Send + 'static>(
        self,
        work: impl FnOnce(&PortalService<S>, &Principal) -> Result<T, PortalError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.session(false, work).await
    }

    /// As [`Call::read`], for a change: the CSRF token is checked.
    async fn write<T: Send + 'static>(
        self,
        work: impl FnOnce(&PortalService<S>, &Principal) -> Result<T, PortalError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.session(true, work).await
    }

    async fn session<T: Send + 'static>(
        self,
        csrf: bool,
        work: impl FnOnce(&PortalService<S>, &Principal) -> Result<T, PortalError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.any_session(csrf, move |s, principal| {
            s.check_own_password(principal)?;
            work(s, principal)
        })
        .await
    }

    /// Runs `work` for the session's person, also a session opened with a
    /// one-time password: the routes that read the session, end it and set
    /// the new password. `csrf` asks for the CSRF check.
    async fn any_session<T: Send + 'static>(
        self,
        csrf: bool,
        work: impl FnOnce(&PortalService<S>, &Principal) -> Result<T, PortalError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let who = move |s: &PortalService<S>, creds: &api::Credentials| {
            let principal = s.session(creds.session.as_deref())?;
            if csrf {
                s.check_csrf(&principal, creds.csrf.as_deref())?;
            }
            Ok(principal)
        };
        self.run_as(who, work).await
    }

    /// Runs `work` for the administrator (the sync API's bearer token).
    async fn admin<T: Send + 'static>(
        self,
        work: impl FnOnce(&PortalService<S>, &crate::sync::Caller) -> Result<T, PortalError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.run_as(|s, creds| s.authenticate_admin(creds.bearer.as_deref()), work).await
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    login: String,
    password: String,
}

fn session_cookie(value: &str, secure: bool, max_age: Option<u32>) -> Option<HeaderValue> {
    let mut text = format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/portal");
    if secure {
        text.push_str("; Secure");
    }
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&text).ok()
}

async fn login<S: PermitStore>(
    State(svc): State<Arc<PortalService<S>>>,
    Extension(metrics): Extension<Arc<ServiceMetrics>>,
    client: ClientAddr,
    body: Json<LoginBody>,
) -> Answer {
    let address = client.ip.to_string();
    let (id, principal) = blocking(&svc, move |s| {
        let b = body.read()?;
        s.login(&b.login, &b.password, &address)
    })
    .await
    .inspect_err(|e| metrics.login(LoginOutcome::of_code(e.code())))?;
    metrics.login(LoginOutcome::Ok);
    let mut response = json_response(StatusCode::OK, answers::principal(&principal));
    if let Some(value) = session_cookie(&id, svc.config().secure_cookie, None) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn logout<S: PermitStore>(call: Call<S>) -> Answer {
    let secure = call.svc.config().secure_cookie;
    call.any_session(true, |s, p| s.logout(p)).await?;
    let mut response = json_response(StatusCode::OK, LoggedOut { logged_out: true });
    if let Some(value) = session_cookie("", secure, Some(0)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn session<S: PermitStore>(call: Call<S>) -> Answer {
    ok(answers::principal(&call.any_session(false, |_, p| Ok(p.clone())).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    old: String,
    new: String,
}

async fn password<S: PermitStore>(call: Call<S>, body: Json<PasswordBody>) -> Answer {
    call.any_session(true, move |s, p| {
        let b = body.read()?;
        s.change_password(p, &b.old, &b.new)
    })
    .await?;
    ok(PasswordChanged { changed: true })
}

async fn org<S: PermitStore>(call: Call<S>) -> Answer {
    let (org, persons) = call.read(|s, p| s.org(p)).await?;
    ok(answers::org(&org, &persons))
}

async fn zones<S: PermitStore>(call: Call<S>) -> Answer {
    ok(answers::zones(call.read(|s, p| Ok(s.zones(p))).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonBody {
    login: String,
    name: String,
}

async fn add_person<S: PermitStore>(call: Call<S>, body: Json<PersonBody>) -> Answer {
    let (login, password) =
        call.write(move |s, p| body.read().and_then(|b| s.add_person(p, &b.login, &b.name))).await?;
    reply(StatusCode::CREATED, NewAccount { login, password })
}

async fn remove_person<S: PermitStore>(call: Call<S>, Path(login): Path<String>) -> Answer {
    let removed = login.clone();
    call.write(move |s, p| s.remove_person(p, &login)).await?;
    ok(PersonRemoved { login: removed, active: false })
}

async fn audit<S: PermitStore>(call: Call<S>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let (rows, next) = call.read(move |s, p| s.audit(p, q.parse("after")?.unwrap_or(0))).await?;
    ok(answers::audit(&rows, next))
}

async fn employees<S: PermitStore>(call: Call<S>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let (views, next) = call
        .read(move |s, p| {
            let status = match q.get("status") {
                None => None,
                Some(text) => Some(EmployeeStatus::parse(text).ok_or_else(|| {
                    PortalError::invalid("invalid_query", format!("status={text:?}: use active or deactivated"))
                })?),
            };
            let query = EmployeeQuery {
                q: q.get("q").map(str::to_owned),
                status,
                after: q.parse("after")?.unwrap_or(0),
                limit: q.parse("limit")?.unwrap_or(0),
            };
            s.employees(p, query)
        })
        .await?;
    ok(answers::employees(&views, next))
}

async fn employee<S: PermitStore>(call: Call<S>, Path(id): Path<String>) -> Answer {
    ok(answers::employee(&call.read(move |s, p| s.employee(p, employee_id(&id)?)).await?))
}

/// An id from the path: one that does not read is an employee that does not exist.
fn employee_id(text: &str) -> Result<i64, PortalError> {
    text.parse().map_err(|_| {
        PortalError::not_found("employee_not_found", format!("there is no employee {text:?} in your organisation"))
    })
}

async fn add_employee<S: PermitStore>(call: Call<S>, body: Json<EmployeeInput>) -> Answer {
    let view = call.write(move |s, p| s.add_employee(p, &body.read()?)).await?;
    reply(StatusCode::CREATED, answers::employee(&view))
}

async fn edit_employee<S: PermitStore>(call: Call<S>, Path(id): Path<String>, body: Json<EmployeeInput>) -> Answer {
    let view = call.write(move |s, p| s.edit_employee(p, employee_id(&id)?, &body.read()?)).await?;
    ok(answers::employee(&view))
}

async fn preview_edit<S: PermitStore>(call: Call<S>, Path(id): Path<String>, body: Json<EmployeeInput>) -> Answer {
    let preview = call.write(move |s, p| s.preview_edit(p, employee_id(&id)?, &body.read()?)).await?;
    ok(answers::preview(&preview))
}

async fn delete_employee<S: PermitStore>(call: Call<S>, Path(id): Path<String>) -> Answer {
    let revoked = call.write(move |s, p| s.delete_employee(p, employee_id(&id)?)).await?;
    ok(PermitsRevoked { revoked })
}

async fn add_trip<S: PermitStore>(call: Call<S>, Path(id): Path<String>, body: Json<TripInput>) -> Answer {
    let trip = call.write(move |s, p| s.add_trip(p, employee_id(&id)?, &body.read()?)).await?;
    reply(StatusCode::CREATED, answers::trip(&trip.trip, trip.permit.as_ref()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactivateBody {
    #[serde(default)]
    ids: Option<Vec<i64>>,
    #[serde(default)]
    all: bool,
    valid_from: String,
    valid_until: String,
}

async fn reactivate<S: PermitStore>(call: Call<S>, body: Json<ReactivateBody>) -> Answer {
    let done = call
        .write(move |s, p| {
            let b = body.read()?;
            let ids = match (b.ids, b.all) {
                (Some(ids), false) => Some(ids),
                (None, true) => None,
                _ => {
                    return Err(PortalError::invalid("invalid_target", "give exactly one of `ids` and `\"all\": true`"))
                }
            };
            s.reactivate(p, ids.as_deref(), &b.valid_from, &b.valid_until)
        })
        .await?;
    ok(answers::reactivated(&done))
}

/// What to print: `certificate.pdf`, `qr.png` or `qr.svg`.
#[derive(Debug, Clone, Copy)]
enum Document {
    Pdf,
    Png,
    Svg,
}

impl Document {
    fn parse(name: &str) -> Result<Self, PortalError> {
        match name {
            "certificate.pdf" => Ok(Document::Pdf),
            "qr.png" => Ok(Document::Png),
            "qr.svg" => Ok(Document::Svg),
            _ => Err(PortalError::not_found(
                "not_found",
                format!("no document {name:?}: use certificate.pdf, qr.png or qr.svg"),
            )),
        }
    }
}

/// The bytes and content type of a printable document; `lang` is the certificate's.
fn render(printable: &Printable, document: Document, lang: Lang) -> Result<(Vec<u8>, &'static str), PortalError> {
    let permit = &printable.permit;
    let parsed = icaze_core::UnverifiedPermit::from_text(&permit.token)
        .map_err(|e| PortalError::Internal(format!("a stored token does not read: {e}")))?;
    let digits = parsed.token().to_qr_digits();
    let qr = || icaze_qr::encode(&digits).map_err(|e| PortalError::Internal(format!("QR code: {e}")));
    Ok(match document {
        Document::Png => (qr()?.to_png(8).map_err(|e| PortalError::Internal(format!("QR code: {e}")))?, "image/png"),
        Document::Svg => (qr()?.to_svg().into_bytes(), "image/svg+xml"),
        Document::Pdf => (
            super::pdf::permit_certificate(printable, &digits, lang)
                .map_err(|e| PortalError::Internal(format!("certificate: {e}")))?,
            "application/pdf",
        ),
    })
}

/// The certificate's language: `?lang=az|ru|en` (the portal page's choice), Azerbaijani
/// when absent.
fn certificate_lang(q: &Query) -> Result<Lang, PortalError> {
    match q.get("lang") {
        None => Ok(Lang::default()),
        Some(code) => Lang::from_code(code).ok_or_else(|| {
            PortalError::invalid("invalid_query", format!("the parameter lang={code:?} must be az, ru or en"))
        }),
    }
}

/// `GET …/employees/{id}/{document}` (`TRIP` false) and `GET …/trips/{id}/{document}`.
async fn document<S: PermitStore, const TRIP: bool>(
    call: Call<S>,
    Path((id, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Answer {
    let (bytes, content_type) = call
        .read(move |s, p| {
            let document = Document::parse(&name)?;
            let lang = certificate_lang(&Query::new(query))?;
            let id = employee_id(&id).map_err(|e| {
                if TRIP {
                    PortalError::not_found("trip_not_found", format!("there is no trip {id:?} in your organisation"))
                } else {
                    e
                }
            })?;
            let printable = s.printable(p, id, TRIP)?;
            render(&printable, document, lang)
        })
        .await?;
    let mut response = (StatusCode::OK, bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn start_import<S: PermitStore>(call: Call<S>, body: RawBody) -> Answer {
    let worker = call.svc.clone();
    let (id, principal, text) = call
        .write(move |s, p| {
            let (id, text) = s.start_import(p, &body.bytes()?)?;
            Ok((id, p.clone(), text))
        })
        .await?;
    let job = id.clone();
    // The import goes on after this answer; its progress is polled with GET.
    tokio::task::spawn_blocking(move || worker.run_import(&principal, &job, &text));
    reply(StatusCode::ACCEPTED, ImportStarted { id })
}

async fn import_status<S: PermitStore>(call: Call<S>, Path(id): Path<String>) -> Answer {
    ok(answers::import(&call.read(move |s, p| s.import_status(p, &id)).await?))
}

async fn funeral<S: PermitStore>(call: Call<S>, body: Json<FuneralInput>) -> Answer {
    let permit = call.write(move |s, p| s.funeral(p, &body.read()?)).await?;
    reply(StatusCode::CREATED, answers::funeral(&permit))
}

async fn funerals<S: PermitStore>(call: Call<S>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let (rows, next) = call.read(move |s, p| s.funerals(p, q.parse("after")?.unwrap_or(0))).await?;
    ok(answers::funerals(&rows, next))
}

async fn revoke_funeral<S: PermitStore>(call: Call<S>, Path(serial): Path<String>, body: Json<ReasonBody>) -> Answer {
    let permit = call.write(move |s, p| s.revoke_funeral(p, funeral_serial(&serial)?, &body.read()?.reason)).await?;
    ok(answers::funeral(&permit))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmsBody {
    phone: String,
    #[serde(default)]
    language: Option<String>,
}

/// Sends a funeral permit to the caller's phone: checked, then handed to the
/// gateway, then audited, so that a refusal leaves nothing behind and the
/// operator can send again.
async fn send_funeral<S: PermitStore>(
    call: Call<S>,
    Extension(sender): Extension<Option<Arc<SmsSender>>>,
    Path(serial): Path<String>,
    body: Json<SmsBody>,
) -> Answer {
    let for_text = sender.clone();
    let (again, serial_text) = (call.clone(), serial.clone());
    let (phone, text) = call
        .write(move |s, p| {
            let serial = funeral_serial(&serial_text)?;
            let b = body.read()?;
            let language = sms_language(b.language.as_deref())?;
            let (permit, phone) = s.funeral_for_sms(p, serial, &b.phone)?;
            Ok((phone, for_text.map(|sender| sender.text(&permit, language)).transpose()?))
        })
        .await?;
    let (Some(sender), Some(text)) = (sender, text) else {
        return Err(sender::not_configured());
    };
    sender.send(&phone, &text).await?;
    let serial = funeral_serial(&serial).map_err(ApiError::from)?;
    let audited = phone.clone();
    again.read(move |s, p| s.funeral_sms_sent(p, serial, &audited)).await?;
    ok(FuneralSent { serial, phone, text, sent: true })
}

fn funeral_serial(text: &str) -> Result<u32, PortalError> {
    text.parse().map_err(|_| PortalError::not_found("permit_not_found", format!("there is no funeral permit {text}")))
}

fn sms_language(code: Option<&str>) -> Result<icaze_sms::Language, PortalError> {
    match code.unwrap_or("az") {
        "az" => Ok(icaze_sms::Language::Az),
        "ru" => Ok(icaze_sms::Language::Ru),
        "en" => Ok(icaze_sms::Language::En),
        other => Err(PortalError::invalid("invalid_language", format!("language {other:?}: az, ru or en"))
            .field("language")
            .param("value", other)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgBody {
    tax_id: String,
    name: String,
    login: String,
    person_name: String,
}

async fn create_org<S: PermitStore>(call: Call<S>, body: Json<OrgBody>) -> Answer {
    let (id, login, password) = call
        .admin(move |s, caller| {
            let b = body.read()?;
            s.create_org(caller, &b.tax_id, &b.name, &b.login, &b.person_name)
        })
        .await?;
    reply(StatusCode::CREATED, OrgCreated { id, login, password })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

async fn revoke_org<S: PermitStore>(call: Call<S>, Path(id): Path<String>, body: Json<ReasonBody>) -> Answer {
    let revoked = call
        .admin(move |s, caller| {
            let id: i64 = id.parse().map_err(|_| {
                PortalError::not_found("organisation_not_found", format!("there is no organisation {id:?}"))
            })?;
            s.revoke_org(caller, id, &body.read()?.reason)
        })
        .await?;
    ok(PermitsRevoked { revoked })
}

async fn create_operator<S: PermitStore>(call: Call<S>, body: Json<PersonBody>) -> Answer {
    let (login, password) =
        call.admin(move |s, caller| body.read().and_then(|b| s.create_operator(caller, &b.login, &b.name))).await?;
    reply(StatusCode::CREATED, NewAccount { login, password })
}

async fn deactivate<S: PermitStore>(call: Call<S>, body: Json<ReasonBody>) -> Answer {
    let (deactivated, revoked) = call.admin(move |s, caller| s.deactivate_all(caller, &body.read()?.reason)).await?;
    ok(Deactivated { deactivated: deactivated as u64, revoked: revoked as u64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_set_for_the_portal_only() {
        let set = session_cookie("v", true, None).unwrap();
        assert_eq!(set.to_str().unwrap(), "icaze_portal=v; HttpOnly; SameSite=Strict; Path=/portal; Secure");
    }
}
