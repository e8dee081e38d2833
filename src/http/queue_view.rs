//! The specialists' queue in the console: waiting calls, specialists' states, and a
//! specialist's own state (sign in, pause, sign out).
//!
//! The queue itself lives in [`crate::app::QueueHandle`]; these handlers only check
//! who asks and translate.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::HttpState;
use super::accounts::Role;
use super::auth::CurrentUser;
use super::error::HttpError;
use crate::app::{CallControlError, DeskError, DeskRequest, QueueView};
use crate::call::{TransferOrigin, TransferRefused, TransferRequest};
use crate::routing::{SpecialistId, StaffId, TopicCode};

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
    // For the instance that routes calls if it is another one, and for a takeover.
    if let Err(error) = crate::app::desk::record(&state.pool, specialist, change.state).await {
        tracing::warn!(%error, "the desk change is not recorded in Postgres: another instance will not see it");
    }
    state.queue.view().await.map(Json).map_err(desk_error)
}

/// The body of `POST /api/calls/{call}/transfer`.
#[derive(Debug, Deserialize)]
pub struct TransferBody {
    /// Topic code; empty = the topic the caller chose.
    #[serde(default)]
    pub topic: Option<TopicCode>,
    /// Only this staff member; empty = everyone on duty, in the policy's order.
    #[serde(default)]
    pub staff_id: Option<i64>,
    /// Consult first (then `.../transfer/complete` or `.../transfer/cancel`).
    #[serde(default)]
    pub consult: bool,
}

const TRANSFER_NEED: &str = "the specialist on the call (or an administrator) transfers it / переводит вызов специалист, который на нём, или администратор";

/// `POST /api/calls/{call}/transfer`: a blind transfer of the caller to the topic's
/// responsible staff. The specialist waits aside and is released once a staff
/// member answers; if nobody does, the caller comes back to them. 202: started.
pub async fn transfer(
    user: CurrentUser,
    State(state): State<HttpState>,
    Path(call): Path<String>,
    Json(body): Json<TransferBody>,
) -> Result<StatusCode, HttpError> {
    user.require_role(&[Role::Specialist, Role::Admin], TRANSFER_NEED)?;
    let by = match user.user.role {
        Role::Admin => None,
        _ => Some(
            user.user
                .specialist_id
                .map(SpecialistId)
                .ok_or(HttpError::Forbidden {
                    need: TRANSFER_NEED,
                })?,
        ),
    };
    let request = TransferRequest {
        topic: body.topic,
        staff: body.staff_id.map(StaffId),
        origin: TransferOrigin::Console,
        by,
        console_user: Some(user.user.id),
        consult: body.consult,
    };
    control_answer(state.calls.transfer(&call, request).await)
}

/// `POST /api/calls/{call}/transfer/complete`: after consulting, the staff member
/// takes the caller and the specialist is released.
pub async fn complete_consultation(
    user: CurrentUser,
    State(state): State<HttpState>,
    Path(call): Path<String>,
) -> Result<StatusCode, HttpError> {
    end_consultation(user, state, call, true).await
}

/// `POST /api/calls/{call}/transfer/cancel`: after consulting, the staff member is
/// hung up and the specialist talks to the caller again.
pub async fn cancel_consultation(
    user: CurrentUser,
    State(state): State<HttpState>,
    Path(call): Path<String>,
) -> Result<StatusCode, HttpError> {
    end_consultation(user, state, call, false).await
}

async fn end_consultation(
    user: CurrentUser,
    state: HttpState,
    call: String,
    complete: bool,
) -> Result<StatusCode, HttpError> {
    user.require_role(&[Role::Specialist, Role::Admin], TRANSFER_NEED)?;
    control_answer(state.calls.end_consultation(&call, complete).await)
}

fn control_answer(answer: Result<(), CallControlError>) -> Result<StatusCode, HttpError> {
    match answer {
        Ok(()) => Ok(StatusCode::ACCEPTED),
        Err(CallControlError::Refused(TransferRefused::NotConsulting)) => {
            Err(HttpError::Conflict {
                code: "not_consulting",
                message: "no consultation is going on / консультация не идёт",
            })
        }
        Err(CallControlError::NoSuchCall) => Err(HttpError::NotFound {
            what: "no such call in progress / такого вызова сейчас нет",
        }),
        Err(CallControlError::Refused(TransferRefused::NotYourCall)) => Err(HttpError::Forbidden {
            need: TRANSFER_NEED,
        }),
        Err(CallControlError::Refused(TransferRefused::NotWithSpecialist)) => {
            Err(HttpError::Conflict {
                code: "not_with_specialist",
                message: "the caller is not talking to a specialist now / абонент сейчас не разговаривает со специалистом",
            })
        }
        Err(CallControlError::Refused(TransferRefused::NoTopic)) => Err(HttpError::InvalidRequest(
            "choose a topic: the caller did not / выберите тему: абонент её не выбрал".to_owned(),
        )),
        Err(error @ CallControlError::Stopped) => Err(HttpError::Internal(error.to_string())),
    }
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
