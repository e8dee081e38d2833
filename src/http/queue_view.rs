//! The specialists' queue in the console: waiting calls, specialists' states, and a
//! specialist's own state (sign in, pause, sign out).
//!
//! The queue itself lives in [`crate::app::QueueHandle`]; these handlers only check
//! who asks and translate.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::HttpState;
use super::accounts::Role;
use super::auth::CurrentUser;
use super::error::HttpError;
use crate::app::{DeskError, DeskRequest, QueueView};
use crate::routing::SpecialistId;

const QUEUE_NEED: &str =
    "specialists and administrators see the queue / очередь видят специалисты и администраторы";
const DESK_NEED: &str = "only a specialist linked to a phone of the directory takes calls / принимать звонки может только специалист, привязанный к телефону справочника";

/// `GET /api/queue`: waiting calls (next first) and specialists' states.
pub async fn queue(
    user: CurrentUser,
    State(state): State<HttpState>,
) -> Result<Json<QueueView>, HttpError> {
    user.require_role(&[Role::Specialist, Role::Admin], QUEUE_NEED)?;
    state.queue.view().await.map(Json).map_err(desk_error)
}

/// The body of `POST /api/desk`.
#[derive(Debug, Deserialize)]
pub struct DeskChange {
    /// `ready`, `paused` or `signed_out`.
    pub state: DeskRequest,
}

/// `POST /api/desk`: the signed-in specialist becomes ready, pauses or signs out.
pub async fn set_desk(
    user: CurrentUser,
    State(state): State<HttpState>,
    Json(change): Json<DeskChange>,
) -> Result<Json<QueueView>, HttpError> {
    user.require_role(&[Role::Specialist], DESK_NEED)?;
    let specialist = user
        .user
        .specialist_id
        .map(SpecialistId)
        .ok_or(HttpError::Forbidden { need: DESK_NEED })?;
    state
        .queue
        .set_desk(specialist, change.state)
        .await
        .map_err(desk_error)?;
    state.queue.view().await.map(Json).map_err(desk_error)
}

fn desk_error(error: DeskError) -> HttpError {
    match error {
        DeskError::UnknownSpecialist(_) => HttpError::Conflict {
            code: "specialist_inactive",
            message: "this specialist is not active in the directory / специалист не активен в справочнике",
        },
        DeskError::QueueStopped => HttpError::Internal(error.to_string()),
    }
}
