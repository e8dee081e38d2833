//! The one error type of the HTTP API, and how each variant reaches the client:
//! JSON `{"error": code, "message": "English / Russian", "message_ru": "Russian",
//! "constraint"?: name}` with 401, 403, 404, 409, 422 or 500.
//!
//! Database refusals are mapped by the constraint Postgres names: a uniqueness or
//! exclusion rule is a conflict with another row (409), any other rule a bad value
//! (422); both carry the rule's explanation from
//! [`constraint_message`](crate::directory::constraint_message), so the console shows
//! the same words a roster editor reads in psql.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::directory::EditRefusal;

/// Why a request was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// No session cookie, or the session expired, was signed out, or its user was
    /// deactivated: sign in again (401).
    #[error("sign in first")]
    SignInRequired,
    /// Wrong login or password; deliberately the same for both, so the answer does not
    /// tell which logins exist (401).
    #[error("wrong login or password")]
    BadCredentials,
    /// Too many failed sign-ins for this login or from this address lately: no
    /// password is checked until the oldest counted failure ages out (429, with
    /// `Retry-After`).
    #[error("too many failed sign-ins; retry in {retry_after_seconds} s")]
    TooManySignIns {
        /// Seconds until a sign-in is checked again.
        retry_after_seconds: u64,
    },
    /// Changing the password: the current password given is wrong (403).
    #[error("wrong current password")]
    WrongPassword,
    /// A state-changing request sent by a page of another site (its `Origin` or
    /// `Sec-Fetch-Site` says so): refused whatever cookie it carries (403).
    #[error("cross-site request refused")]
    CrossSite,
    /// The request body is larger than the API takes (413).
    #[error("request body too large")]
    TooLarge,
    /// The password was right but the account is deactivated (403).
    #[error("account deactivated")]
    AccountDisabled,
    /// Signed in, but the role or organisation does not allow this (403). `need` says
    /// who may, "English / Russian".
    #[error("forbidden: {need}")]
    Forbidden {
        /// Who may do it, for the message.
        need: &'static str,
    },
    /// No such thing, or none this user may see: both look the same from outside, so
    /// a staff member cannot probe another organisation's appeals (404).
    #[error("{what}")]
    NotFound {
        /// What was not found, "English / Russian" ("appeal not found / обращение не найдено").
        what: &'static str,
    },
    /// The thing is not in a state that allows this (an appeal already done) (409).
    #[error("conflict: {message}")]
    Conflict {
        /// Stable code for clients.
        code: &'static str,
        /// "English / Russian".
        message: &'static str,
    },
    /// The request itself is malformed: bad JSON, query or path (422).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The database refused the row; the rule decides 409 or 422.
    #[error("refused: {0}")]
    Refused(Box<RefusedRow>),
    /// The database failed (unreachable, timeout, bug): 500, details only in the log.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Something on our side failed (password hashing, a panicked blocking task): 500.
    #[error("internal error: {0}")]
    Internal(String),
    /// Asterisk, which keeps the recordings, did not give what was asked (502).
    #[error("Asterisk: {0}")]
    Asterisk(crate::ari::AriError),
    /// This instance stands by and no instance has published its console yet, so
    /// what only the active one knows cannot be asked (503).
    #[error("no instance routes the calls")]
    NoActiveInstance,
    /// This instance stands by and the active one's console did not answer the
    /// request passed on to it (502).
    #[error("the active instance did not answer: {0}")]
    ActiveUnreachable(reqwest::Error),
}

/// A row the database refused, with the broken rule.
#[derive(Debug)]
pub struct RefusedRow {
    /// 409 for uniqueness/exclusion, 422 otherwise.
    pub status: StatusCode,
    /// The refusal taken apart (constraint, explanation, row).
    pub refusal: EditRefusal,
}

impl std::fmt::Display for RefusedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.refusal.fmt(f)
    }
}

/// Refusals by a named rule become client errors; everything else is a 500.
impl From<sqlx::Error> for HttpError {
    fn from(error: sqlx::Error) -> Self {
        let refusal = EditRefusal::from_error(&error);
        let code = error
            .as_database_error()
            .and_then(|db| db.code())
            .map(|code| code.into_owned());
        match (refusal, code.as_deref()) {
            (Some(refusal), Some(code))
                if refusal.constraint.is_some() && code.starts_with("23") =>
            {
                let status = match code {
                    // unique_violation, exclusion_violation: another row is in the way.
                    "23505" | "23P01" => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                Self::Refused(Box::new(RefusedRow { status, refusal }))
            }
            _ => Self::Database(error),
        }
    }
}

impl From<JsonRejection> for HttpError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::TooLarge;
        }
        Self::InvalidRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for HttpError {
    fn from(rejection: QueryRejection) -> Self {
        Self::InvalidRequest(rejection.body_text())
    }
}

impl From<PathRejection> for HttpError {
    fn from(rejection: PathRejection) -> Self {
        Self::InvalidRequest(rejection.body_text())
    }
}

/// The part after the last " / " of an "English / Russian" message (every
/// explanation has exactly one); the whole message when there is none.
fn russian_half(message: &str) -> &str {
    message
        .rsplit_once(" / ")
        .map_or(message, |(_, russian)| russian)
}

/// The body of every error response.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    /// Stable machine-readable code.
    error: &'a str,
    /// "English / Russian", for people and logs.
    message: String,
    /// The Russian half alone, for the console.
    message_ru: String,
    /// The broken rule's name, for a refused row.
    #[serde(skip_serializing_if = "Option::is_none")]
    constraint: Option<&'a str>,
}

impl HttpError {
    /// The status code this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::SignInRequired | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::AccountDisabled
            | Self::Forbidden { .. }
            | Self::CrossSite
            | Self::WrongPassword => StatusCode::FORBIDDEN,
            Self::TooManySignIns { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::InvalidRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Refused(refused) => refused.status,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Asterisk(_) | Self::ActiveUnreachable(_) => StatusCode::BAD_GATEWAY,
            Self::NoActiveInstance => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (error, message, constraint) = match &self {
            Self::SignInRequired => (
                "sign_in_required",
                "sign in first / войдите в систему".to_owned(),
                None,
            ),
            Self::BadCredentials => (
                "bad_credentials",
                "wrong login or password / неверный логин или пароль".to_owned(),
                None,
            ),
            Self::AccountDisabled => (
                "account_disabled",
                "this account is deactivated / учётная запись отключена".to_owned(),
                None,
            ),
            Self::TooManySignIns {
                retry_after_seconds,
            } => {
                let minutes = retry_after_seconds.div_ceil(60).max(1);
                (
                    "too_many_sign_ins",
                    format!(
                        "too many failed sign-ins; try again in {minutes} min / слишком много неудачных попыток входа; повторите через {minutes} мин"
                    ),
                    None,
                )
            }
            Self::WrongPassword => (
                "wrong_password",
                "the current password is wrong / текущий пароль указан неверно".to_owned(),
                None,
            ),
            Self::CrossSite => (
                "cross_site",
                "request from another site refused / запрос с другого сайта отклонён".to_owned(),
                None,
            ),
            Self::TooLarge => (
                "too_large",
                format!(
                    "request body over {} KiB / тело запроса больше {} КиБ",
                    super::guards::BODY_LIMIT / 1024,
                    super::guards::BODY_LIMIT / 1024
                ),
                None,
            ),
            Self::Forbidden { need } => ("forbidden", (*need).to_owned(), None),
            Self::NotFound { what } => ("not_found", (*what).to_owned(), None),
            Self::Conflict { code, message } => (*code, (*message).to_owned(), None),
            Self::InvalidRequest(detail) => (
                "invalid_request",
                format!("invalid request / неверный запрос: {detail}"),
                None,
            ),
            Self::Refused(refused) => {
                let refusal = &refused.refusal;
                let message = refusal
                    .explanation
                    .map_or_else(|| refusal.database_message.clone(), str::to_owned);
                (
                    "constraint_violation",
                    message,
                    refusal.constraint.as_deref(),
                )
            }
            Self::Database(error) => {
                tracing::error!(%error, "database error answering an HTTP request");
                (
                    "internal",
                    "internal error, see the service log / внутренняя ошибка, подробности в журнале службы"
                        .to_owned(),
                    None,
                )
            }
            Self::Asterisk(error) => {
                tracing::error!(%error, "Asterisk failed answering an HTTP request");
                (
                    "asterisk",
                    "Asterisk did not answer, see the service log / Asterisk не ответил, подробности в журнале службы"
                        .to_owned(),
                    None,
                )
            }
            Self::NoActiveInstance => (
                "no_active_instance",
                "no instance routes the calls right now / сейчас ни один экземпляр не обслуживает звонки"
                    .to_owned(),
                None,
            ),
            Self::ActiveUnreachable(error) => {
                tracing::warn!(%error, "the active instance's console did not answer");
                (
                    "active_unreachable",
                    "the instance routing the calls does not answer / экземпляр, обслуживающий звонки, не отвечает"
                        .to_owned(),
                    None,
                )
            }
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal error answering an HTTP request");
                (
                    "internal",
                    "internal error, see the service log / внутренняя ошибка, подробности в журнале службы"
                        .to_owned(),
                    None,
                )
            }
        };
        let body = ErrorBody {
            error,
            message_ru: russian_half(&message).to_owned(),
            message,
            constraint,
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::TooManySignIns {
            retry_after_seconds,
        } = self
        {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_russian_half_is_cut_out() {
        assert_eq!(
            russian_half("this login is taken / такой логин уже занят"),
            "такой логин уже занят"
        );
        assert_eq!(russian_half("no slash"), "no slash");
        assert_eq!(
            russian_half("invalid request / неверный запрос: missing field `line`"),
            "неверный запрос: missing field `line`"
        );
    }
}
