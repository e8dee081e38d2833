//! Who is asking, and what they may do: the session cookie, the [`CurrentUser`]
//! extractor every API handler takes, and the `require_*` checks each handler calls
//! before touching data.
//!
//! # Roles matrix
//!
//! | Endpoint | specialist | staff | admin |
//! |---|---|---|---|
//! | `GET /api/me`, `POST /api/logout`, `POST /api/password` | yes | yes | yes |
//! | `GET /api/route`, `GET /api/directory` | yes | yes | yes |
//! | `POST /api/appeals` | yes | **no** | yes |
//! | `GET /api/appeals` | all | own organisation and its institutions | all |
//! | `POST /api/appeals/{id}/done` | **no** | own organisation only | yes |
//! | `GET /api/events` | all events | events of the organisations it sees | all events |
//!
//! A staff member asking for an appeal outside the organisations they see gets 404,
//! not 403, so they cannot even learn that it exists.
//!
//! The cookie is `HttpOnly` (scripts cannot read it), `SameSite=Strict` (no other
//! site's page can make the browser send it) and, with `http_secure_cookie`, `Secure`.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::HttpState;
use super::accounts::{self, ConsoleUser, Role};
use super::error::HttpError;
use super::throttle::ClientAddress;
use crate::routing::{DirectorySnapshot, OrganisationCode, OrganisationKind};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hotline_session";

/// The signed-in user of a request. Extracting it is the authentication: a handler
/// that takes a `CurrentUser` is never reached without a live session of an active
/// user (the request is answered 401 instead).
#[derive(Clone, Debug)]
pub struct CurrentUser {
    /// The account.
    pub user: ConsoleUser,
    /// The session's public id, for signing out.
    pub session_id: String,
    /// When the session ends.
    pub session_expires_at: DateTime<Utc>,
}

impl FromRequestParts<HttpState> for CurrentUser {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &HttpState,
    ) -> Result<Self, Self::Rejection> {
        let cookie = session_cookie(&parts.headers).ok_or(HttpError::SignInRequired)?;
        let session = accounts::session_user(&state.pool, cookie, state.options.session_idle)
            .await?
            .ok_or(HttpError::SignInRequired)?;
        Ok(Self {
            user: session.user,
            session_id: session.session_id,
            session_expires_at: session.expires_at,
        })
    }
}

/// The value of our cookie among the request's `Cookie` headers.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// Who may mark an appeal done, for refusals.
pub(crate) const COMPLETE_NEED: &str = "only the responsible organisation's staff or an administrator marks an appeal done / отметить выполнение может только сотрудник ответственной организации или администратор";

/// Which appeals a user may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppealScope {
    /// Every organisation's (specialists, admins).
    All,
    /// Only these organisations' (staff: their own and its subordinate institutions).
    Organisations(BTreeSet<OrganisationCode>),
}

impl AppealScope {
    /// Whether an appeal of `organisation` is visible.
    pub fn includes(&self, organisation: &OrganisationCode) -> bool {
        match self {
            Self::All => true,
            Self::Organisations(codes) => codes.contains(organisation),
        }
    }
}

impl CurrentUser {
    /// Any signed-in role: the extractor already proved there is one. Called anyway,
    /// so every handler states its rule in the same place.
    pub fn require_signed_in(&self) -> Result<(), HttpError> {
        Ok(())
    }

    /// One of `roles`; `need` says who may, "English / Russian", for the refusal.
    pub fn require_role(&self, roles: &[Role], need: &'static str) -> Result<(), HttpError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(HttpError::Forbidden { need })
        }
    }

    /// Registering appeals: specialists and admins.
    pub fn require_appeal_author(&self) -> Result<(), HttpError> {
        self.require_role(
            &[Role::Specialist, Role::Admin],
            "specialists and administrators register appeals / обращения регистрируют специалисты и администраторы",
        )
    }

    /// Completing an appeal of `organisation`: that organisation's staff, or admins.
    /// Specialists register appeals but do not close them; staff of a parent agency
    /// see their institutions' appeals but leave closing them to the institution.
    pub fn require_may_complete(&self, organisation: &OrganisationCode) -> Result<(), HttpError> {
        let allowed = match self.user.role {
            Role::Admin => true,
            Role::Staff => self.user.organisation.as_ref() == Some(organisation),
            Role::Specialist => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(HttpError::Forbidden {
                need: COMPLETE_NEED,
            })
        }
    }

    /// The appeals this user may see. Staff see their organisation's and, for an
    /// agency or municipal body, those of the institutions subordinate to it (as the
    /// directory says now).
    pub fn appeal_scope(&self, snapshot: &DirectorySnapshot) -> AppealScope {
        match (self.user.role, &self.user.organisation) {
            (Role::Specialist | Role::Admin, _) => AppealScope::All,
            (Role::Staff, None) => AppealScope::Organisations(BTreeSet::new()),
            (Role::Staff, Some(own)) => {
                let mut codes = BTreeSet::from([own.clone()]);
                let is_parent = snapshot
                    .organisations
                    .get(own)
                    .is_some_and(|org| org.kind != OrganisationKind::Institution);
                if is_parent {
                    codes.extend(
                        snapshot
                            .organisations
                            .values()
                            .filter(|org| org.parent.as_ref() == Some(own))
                            .map(|org| org.code.clone()),
                    );
                }
                AppealScope::Organisations(codes)
            }
        }
    }

    /// Whether this user sees call-handling events (queues, transfers): specialists
    /// and admins.
    pub fn is_contact_center(&self) -> bool {
        matches!(self.user.role, Role::Specialist | Role::Admin)
    }
}

/// `POST /api/login` body.
#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    /// The login (case and surrounding spaces ignored).
    pub login: String,
    /// The password.
    pub password: String,
}

/// `GET /api/me` and the successful login's body.
#[derive(Debug, Serialize)]
pub struct Me {
    /// The login.
    pub login: String,
    /// Full name, for the console's header.
    pub full_name: String,
    /// The role, which decides the console's start page.
    pub role: Role,
    /// Staff: the organisation's code.
    pub organisation: Option<OrganisationCode>,
    /// Staff: the organisation's name, from the directory.
    pub organisation_name: Option<String>,
    /// Specialists: their directory row.
    pub specialist_id: Option<i64>,
    /// When the session ends.
    pub session_expires_at: DateTime<Utc>,
}

impl Me {
    fn new(user: &ConsoleUser, expires_at: DateTime<Utc>, snapshot: &DirectorySnapshot) -> Self {
        Self {
            login: user.login.clone(),
            full_name: user.full_name.clone(),
            role: user.role,
            organisation_name: user
                .organisation
                .as_ref()
                .and_then(|code| snapshot.organisations.get(code))
                .map(|org| org.name.clone()),
            organisation: user.organisation.clone(),
            specialist_id: user.specialist_id,
            session_expires_at: expires_at,
        }
    }
}

/// `POST /api/login`: checks the password and sets the session cookie. Refused
/// without checking the password while the login or the address has too many recent
/// failures ([`super::throttle`]).
pub async fn login(
    State(state): State<HttpState>,
    address: ClientAddress,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Response, HttpError> {
    let Json(request) = body?;
    let login = request.login.trim().to_lowercase();
    let throttle = &state.options.login_throttle;
    throttle.check(&state.pool, &login, address).await?;
    let Some(user) = accounts::authenticate(&state.pool, &login, &request.password).await? else {
        throttle
            .record_failure(&state.pool, &login, address)
            .await?;
        return Err(HttpError::BadCredentials);
    };
    throttle.forget_login(&state.pool, &login).await?;
    if !user.active {
        return Err(HttpError::AccountDisabled);
    }
    tracing::info!(login = %user.login, role = %user.role, "console sign-in");
    signed_in(&state, &user).await
}

/// Opens a session for `user` and answers with the cookie and [`Me`].
async fn signed_in(state: &HttpState, user: &ConsoleUser) -> Result<Response, HttpError> {
    let session = accounts::open_session(&state.pool, user.id, state.options.session_ttl).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        session.cookie_value,
        state.options.session_ttl.num_seconds(),
        if state.options.secure_cookie {
            "; Secure"
        } else {
            ""
        }
    );
    let me = Me::new(user, session.expires_at, &state.directory.current());
    let mut response = Json(me).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|error| HttpError::Internal(error.to_string()))?,
    );
    Ok(response)
}

/// `POST /api/logout`: ends the session and clears the cookie.
pub async fn logout(
    State(state): State<HttpState>,
    user: CurrentUser,
) -> Result<Response, HttpError> {
    user.require_signed_in()?;
    accounts::close_session(&state.pool, &user.session_id).await?;
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, HeaderValue::from_str(&clear).expect("ASCII"))],
    )
        .into_response())
}

/// `POST /api/password` body.
#[derive(Debug, Deserialize)]
pub struct PasswordChange {
    /// The password now, proving it is the user at the keyboard.
    pub current_password: String,
    /// The new one ([`accounts::MIN_PASSWORD_CHARS`] or more).
    pub new_password: String,
}

/// `POST /api/password`: a new password for the signed-in user. Every session of the
/// user ends, on every device (their event streams close); this browser gets a new
/// one. A wrong current password counts as a failed sign-in.
pub async fn change_password(
    State(state): State<HttpState>,
    address: ClientAddress,
    user: CurrentUser,
    body: Result<Json<PasswordChange>, JsonRejection>,
) -> Result<Response, HttpError> {
    user.require_signed_in()?;
    let Json(change) = body?;
    let login = user.user.login.clone();
    let throttle = &state.options.login_throttle;
    throttle.check(&state.pool, &login, address).await?;
    if accounts::authenticate(&state.pool, &login, &change.current_password)
        .await?
        .is_none()
    {
        throttle
            .record_failure(&state.pool, &login, address)
            .await?;
        return Err(HttpError::WrongPassword);
    }
    accounts::set_password(&state.pool, &login, &change.new_password, Some(&login))
        .await
        .map_err(|error| match error {
            accounts::AccountError::WeakPassword => HttpError::InvalidRequest(error.to_string()),
            other => HttpError::Internal(other.to_string()),
        })?;
    tracing::info!(login = %login, "console password changed; every session of the user ended");
    signed_in(&state, &user.user).await
}

/// `GET /api/me`: who is signed in.
pub async fn me(State(state): State<HttpState>, user: CurrentUser) -> Result<Json<Me>, HttpError> {
    user.require_signed_in()?;
    Ok(Json(Me::new(
        &user.user,
        user.session_expires_at,
        &state.directory.current(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_our_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; hotline_session=x.y"));
        assert_eq!(session_cookie(&headers), Some("x.y"));
        let mut other = HeaderMap::new();
        other.append(COOKIE, HeaderValue::from_static("hotline_sessionx=1"));
        assert_eq!(session_cookie(&other), None);
    }
}
