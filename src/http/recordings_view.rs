//! Call recordings in the console, for admins only: the list of recorded calls, a
//! recording played or downloaded (fetched from Asterisk as it streams), and who
//! opened which recording when ([`crate::recordings`] keeps the books).
//!
//! Every opening is written to `recording_access` before a byte is served: if the
//! audit cannot be written, the recording is not given.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::HttpState;
use super::accounts::Role;
use super::auth::CurrentUser;
use super::error::HttpError;
use super::throttle::ClientAddress;
use crate::recordings::{self, CallRecording, RecordingAccess};

/// Who may hear recordings: they hold citizens' voices and personal data.
const RECORDINGS_NEED: &str =
    "administrators only listen to recordings / записи разговоров доступны только администраторам";

const NO_RECORDING: &str = "no recording of this call / записи этого разговора нет";
const REMOVED: &str = "the recording was removed after its retention period / запись удалена по истечении срока хранения";

/// Rows per page at most.
const MAX_LIMIT: i64 = 500;

/// `GET /api/recordings` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingsQuery {
    /// Only calls that came in before this instant (the next page).
    #[serde(default)]
    pub before: Option<DateTime<Utc>>,
    /// How many, 100 by default, at most 500.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /api/recordings`: recorded calls, newest first (admins only).
pub async fn list(
    State(state): State<HttpState>,
    user: CurrentUser,
    query: Result<Query<RecordingsQuery>, QueryRejection>,
) -> Result<Json<Vec<CallRecording>>, HttpError> {
    user.require_role(&[Role::Admin], RECORDINGS_NEED)?;
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_LIMIT);
    Ok(Json(
        recordings::list(&state.pool, query.before, limit).await?,
    ))
}

/// `GET /api/recordings/access` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessQuery {
    /// Only this call's recording.
    #[serde(default)]
    pub call: Option<String>,
    /// How many, 100 by default, at most 500.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /api/recordings/access`: who opened which recording, newest first.
pub async fn access_log(
    State(state): State<HttpState>,
    user: CurrentUser,
    query: Result<Query<AccessQuery>, QueryRejection>,
) -> Result<Json<Vec<RecordingAccess>>, HttpError> {
    user.require_role(&[Role::Admin], RECORDINGS_NEED)?;
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_LIMIT);
    Ok(Json(
        recordings::accesses(&state.pool, query.call.as_deref(), limit).await?,
    ))
}

/// `GET /api/calls/{call}/recording[?download=1]` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// Save it as a file instead of playing it in the page.
    #[serde(default)]
    pub download: Option<u8>,
}

/// `GET /api/calls/{call}/recording`: the call's recording as WAV (admins only,
/// audited).
pub async fn file(
    State(state): State<HttpState>,
    user: CurrentUser,
    address: ClientAddress,
    Path(call): Path<String>,
    query: Result<Query<FileQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    user.require_role(&[Role::Admin], RECORDINGS_NEED)?;
    let Query(query) = query?;
    let recording = recordings::find(&state.pool, &call)
        .await?
        .ok_or(HttpError::NotFound { what: NO_RECORDING })?;
    if recording.recording_removed_at.is_some() {
        return Err(HttpError::Conflict {
            code: "recording_removed",
            message: REMOVED,
        });
    }
    recordings::note_access(
        &state.pool,
        &call,
        &user.user.login,
        address.0.map(|ip| ip.to_string()),
    )
    .await?;
    tracing::info!(call_id = %call, user = %user.user.login, "recording opened");
    // Asked of the node the call was on.
    let node = state.asterisk.get(recording.asterisk_node.as_deref());
    let file = match node.stored_recording_file(&recording.recording_name).await {
        Ok(file) => file,
        Err(error) if error.is_not_found() => {
            return Err(HttpError::NotFound { what: NO_RECORDING });
        }
        Err(error) => return Err(HttpError::Asterisk(error)),
    };
    let disposition = if query.download.unwrap_or(0) != 0 {
        "attachment"
    } else {
        "inline"
    };
    // The call key is an Asterisk unique id ("1765000000.42"): safe in a header
    // once anything else is dropped.
    let safe_key: String = call
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    let mut headers = vec![
        (CONTENT_TYPE, "audio/wav".to_owned()),
        (
            CONTENT_DISPOSITION,
            format!("{disposition}; filename=\"call-{safe_key}.wav\""),
        ),
    ];
    if let Some(len) = file.size() {
        headers.push((CONTENT_LENGTH, len.to_string()));
    }
    let mut response = super::relayed_body(file.into_response()).into_response();
    for (name, value) in headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}
