//! The directory as the console shows it, and the routing policy's answer to "who
//! would take a call on topic X at time T, and why".
//!
//! Both read the current snapshot ([`crate::directory::DirectoryCache::current`]) and
//! decide nothing themselves: `/api/route` returns [`crate::routing::decide_listing_all`]'s
//! decision as it is, `/api/directory` adds only each organisation's and each staff
//! member's state at one instant, in words.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, FixedOffset, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::HttpState;
use super::accounts::Role;
use super::auth::CurrentUser;
use super::error::HttpError;
use crate::routing::policy::NoRecency;
use crate::routing::schedule::{ClosedWhy, DayRule, OpenState, local_time};
use crate::routing::{
    Decision, DirectorySnapshot, LineNumber, MenuChoice, Organisation, OrganisationKind,
    ResponsibleStaff, RouteRequest, TopicCode, TransferMode, decide_listing_all,
};

/// `GET /api/route` query: `line` and one of `digit` / `topic` (neither: no input),
/// `at` in RFC 3339 (default: now by the service's routing clock).
#[derive(Debug, Deserialize)]
pub struct RouteQuery {
    /// The short number (122, 117).
    pub line: String,
    /// A menu digit.
    #[serde(default)]
    pub digit: Option<String>,
    /// A topic code instead of a digit.
    #[serde(default)]
    pub topic: Option<String>,
    /// The instant, e.g. `2026-05-12T10:00:00+08:00`.
    #[serde(default)]
    pub at: Option<DateTime<FixedOffset>>,
}

/// `GET /api/route`: the policy's decision with its reason. "Least recently called"
/// topics are ordered as if nobody had been called yet: the live call history belongs
/// to the calls, and this is a what-if question.
pub async fn route(
    State(state): State<HttpState>,
    user: CurrentUser,
    query: Result<Query<RouteQuery>, QueryRejection>,
) -> Result<Json<RouteAnswer>, HttpError> {
    user.require_signed_in()?;
    let Query(query) = query?;
    let choice = match (non_blank(query.digit), non_blank(query.topic)) {
        (Some(_), Some(_)) => {
            return Err(HttpError::InvalidRequest(
                "give a digit or a topic, not both / укажите цифру или тему, но не обе".to_owned(),
            ));
        }
        (Some(digit), None) => {
            let mut chars = digit.chars();
            match (chars.next(), chars.next()) {
                (Some(digit), None) => MenuChoice::Digit(digit),
                _ => {
                    return Err(HttpError::InvalidRequest(
                        "a digit is one character: 0-9, * or # / цифра — один символ: 0-9, * или #"
                            .to_owned(),
                    ));
                }
            }
        }
        (None, Some(topic)) => MenuChoice::Topic(TopicCode(topic)),
        (None, None) => MenuChoice::NoInput,
    };
    let request = RouteRequest {
        line: LineNumber(query.line.trim().to_owned()),
        choice,
        at: query
            .at
            .map_or_else(|| state.clock.now(), |at| at.with_timezone(&Utc)),
    };
    let decision = decide_listing_all(&state.directory.current(), &request, &NoRecency);
    // Who is on a call is a fact of now: a question about another instant gets none,
    // and does not cost the journal a query.
    let busy_staff = match query.at {
        None => busy_staff(&state.pool).await?,
        Some(_) => Vec::new(),
    };
    Ok(Json(RouteAnswer {
        decision,
        busy_staff,
    }))
}

/// The policy's decision, plus who among the staff is on a call right now (the
/// console shows each candidate's state next to the transfer buttons).
#[derive(Debug, Serialize)]
pub struct RouteAnswer {
    /// The decision, its candidates and reason.
    #[serde(flatten)]
    pub decision: Decision,
    /// Staff ids with a call in progress now: ringing or talking (from the journal);
    /// empty for a question about another instant (`at`).
    pub busy_staff: Vec<i64>,
}

/// Staff with a call in progress: an attempt still ringing, or answered in a call
/// not over yet.
async fn busy_staff(pool: &sqlx::PgPool) -> Result<Vec<i64>, HttpError> {
    sqlx::query_scalar(
        "SELECT DISTINCT a.staff_id FROM dial_attempt a JOIN call_record c USING (call_key)
         WHERE a.staff_id IS NOT NULL AND c.ended_at IS NULL
           AND (a.ended_at IS NULL OR a.result = 'answered')
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .map_err(HttpError::Database)
}

/// Blank is none.
fn non_blank(text: Option<String>) -> Option<String> {
    text.map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

/// `GET /api/directory` query.
#[derive(Debug, Deserialize)]
pub struct DirectoryQuery {
    /// The instant for "open" and "on duty" (default: now).
    #[serde(default)]
    pub at: Option<DateTime<FixedOffset>>,
}

/// The directory for the console's pages.
#[derive(Debug, Serialize)]
pub struct DirectoryView {
    /// The instant the states below are for.
    pub at: DateTime<Utc>,
    /// Lines with their menus.
    pub lines: Vec<LineView>,
    /// Topics, by code.
    pub topics: Vec<TopicView>,
    /// Organisations, agencies first, by name.
    pub organisations: Vec<OrganisationView>,
    /// Responsible staff, by organisation and priority.
    pub staff: Vec<StaffView>,
    /// The contact center's specialists.
    pub specialists: Vec<SpecialistView>,
    /// For admins only (empty for everyone else): production calendar years due soon
    /// whose decree is not loaded, with the banner's text.
    pub calendar_warnings: Vec<CalendarWarning>,
}

/// A banner for admins: a year runs on the statutory rule alone.
#[derive(Debug, Serialize)]
pub struct CalendarWarning {
    /// The unconfirmed year.
    pub year: i32,
    /// What to do, in Russian.
    pub message_ru: String,
}

/// The banners of the calendar years due at `at` (in the region's time zone) that have
/// no decree loaded.
pub(crate) fn calendar_warnings(
    snapshot: &DirectorySnapshot,
    at: DateTime<Utc>,
) -> Vec<CalendarWarning> {
    (snapshot.calendar.unconfirmed_years_due_at(at).into_iter())
        .map(|year| CalendarWarning {
            year,
            message_ru: format!(
                "Производственный календарь на {year} год не подтверждён: постановление Правительства \
                 о переносе выходных дней не загружено. Праздники и сокращённые дни считаются по \
                 правилу ТК РФ, переносы выходных не учитываются. Загрузите постановление: \
                 hotline calendar import calendar/{year}.txt"
            ),
        })
        .collect()
}

/// A line and its menu.
#[derive(Debug, Serialize)]
pub struct LineView {
    /// The short number.
    pub number: String,
    /// Its name.
    pub name: String,
    /// Menu items by digit.
    pub menu: Vec<MenuItemView>,
}

/// One menu item.
#[derive(Debug, Serialize)]
pub struct MenuItemView {
    /// The DTMF digit.
    pub digit: char,
    /// The topic (none: a specialist directly).
    pub topic: Option<String>,
    /// What the menu says.
    pub label_ru: String,
}

/// A topic.
#[derive(Debug, Serialize)]
pub struct TopicView {
    /// Code.
    pub code: String,
    /// Russian name.
    pub name_ru: String,
    /// The responsible agency (none: the specialists handle it), the appeal form's
    /// default organisation.
    pub agency: Option<String>,
    /// Whether the service dials staff itself or a specialist transfers by hand.
    pub transfer_mode: TransferMode,
}

/// An organisation and whether it works at the instant.
#[derive(Debug, Serialize)]
pub struct OrganisationView {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Agency, municipal body or institution.
    pub kind: OrganisationKind,
    /// The agency an institution belongs to.
    pub parent: Option<String>,
    /// Open at the instant.
    pub open: bool,
    /// Why (not), in Russian: "работает до 18:00", "обеденный перерыв до 14:00".
    pub status_ru: String,
}

/// A responsible staff member and whether they take calls at the instant.
#[derive(Debug, Serialize)]
pub struct StaffView {
    /// Id (what the routing decision's candidates refer to).
    pub id: i64,
    /// Full name.
    pub full_name: String,
    /// Position.
    pub position: String,
    /// Organisation code.
    pub organisation: String,
    /// Topics covered.
    pub topics: Vec<String>,
    /// Active, not absent, and the organisation is open.
    pub on_duty: bool,
    /// Why (not), in Russian.
    pub duty_ru: String,
}

/// A contact-center specialist.
#[derive(Debug, Serialize)]
pub struct SpecialistView {
    /// Id.
    pub id: i64,
    /// Full name.
    pub full_name: String,
    /// Rung at all.
    pub active: bool,
}

/// `GET /api/directory`: everything the console's pages list, with who is on duty.
pub async fn directory(
    State(state): State<HttpState>,
    user: CurrentUser,
    query: Result<Query<DirectoryQuery>, QueryRejection>,
) -> Result<Json<DirectoryView>, HttpError> {
    user.require_signed_in()?;
    let Query(query) = query?;
    let at = query
        .at
        .map_or_else(|| state.clock.now(), |at| at.with_timezone(&Utc));
    let snapshot = state.directory.current();
    let mut view = view(&snapshot, at);
    if user.user.role == Role::Admin {
        // "Now", not the instant asked about: the banner is about what to do today.
        view.calendar_warnings = calendar_warnings(&snapshot, state.clock.now());
    }
    Ok(Json(view))
}

/// The view of a snapshot at an instant.
fn view(snapshot: &DirectorySnapshot, at: DateTime<Utc>) -> DirectoryView {
    let lines = snapshot
        .lines
        .values()
        .map(|line| LineView {
            number: line.number.0.clone(),
            name: line.name.clone(),
            menu: line
                .menu
                .values()
                .map(|item| MenuItemView {
                    digit: item.digit,
                    topic: item.topic.as_ref().map(|code| code.0.clone()),
                    label_ru: item.label_ru.clone(),
                })
                .collect(),
        })
        .collect();
    let mut topics: Vec<TopicView> = snapshot
        .topics
        .values()
        .map(|topic| TopicView {
            code: topic.code.0.clone(),
            name_ru: topic.name_ru.clone(),
            agency: topic.agency.as_ref().map(|code| code.0.clone()),
            transfer_mode: topic.defaults.transfer_mode,
        })
        .collect();
    topics.sort_by(|a, b| a.code.cmp(&b.code));
    let mut organisations: Vec<OrganisationView> = snapshot
        .organisations
        .values()
        .map(|org| {
            let (open, status_ru) = organisation_status(snapshot, org, at);
            OrganisationView {
                code: org.code.0.clone(),
                name: org.name.clone(),
                kind: org.kind,
                parent: org.parent.as_ref().map(|code| code.0.clone()),
                open,
                status_ru,
            }
        })
        .collect();
    organisations.sort_by_key(|org| (org.kind == OrganisationKind::Institution, org.name.clone()));
    let mut staff: Vec<StaffView> = snapshot
        .staff
        .iter()
        .map(|person| {
            let (on_duty, duty_ru) = duty(snapshot, person, at);
            StaffView {
                id: person.id.0,
                full_name: person.full_name.clone(),
                position: person.position.clone(),
                organisation: person.organisation.0.clone(),
                topics: person.topics.iter().map(|code| code.0.clone()).collect(),
                on_duty,
                duty_ru,
            }
        })
        .collect();
    staff.sort_by(|a, b| a.organisation.cmp(&b.organisation));
    let specialists = snapshot
        .specialists
        .iter()
        .map(|specialist| SpecialistView {
            id: specialist.id.0,
            full_name: specialist.full_name.clone(),
            active: specialist.active,
        })
        .collect();
    DirectoryView {
        at,
        lines,
        topics,
        organisations,
        staff,
        specialists,
        calendar_warnings: Vec::new(),
    }
}

/// `HH:MM`, with 24:00 for "end of day".
fn clock(time: Option<NaiveTime>) -> String {
    time.map_or_else(
        || "24:00".to_owned(),
        |time| time.format("%H:%M").to_string(),
    )
}

/// Open or not at `at`, and why, in Russian.
fn organisation_status(
    snapshot: &DirectorySnapshot,
    org: &Organisation,
    at: DateTime<Utc>,
) -> (bool, String) {
    let status = org.status_at(&snapshot.calendar, at);
    let text = match (status.state, status.rule) {
        (OpenState::Open { interval }, _) => format!("работает до {}", clock(interval.closes)),
        (
            OpenState::Closed {
                why: ClosedWhy::DayOff,
            },
            DayRule::Holiday { note },
        ) => {
            format!("нерабочий праздничный день: {note}")
        }
        (
            OpenState::Closed {
                why: ClosedWhy::DayOff,
            },
            DayRule::OverrideClosed { note } | DayRule::DayOff { note },
        ) => {
            format!("не работает: {note}")
        }
        (
            OpenState::Closed {
                why: ClosedWhy::DayOff,
            },
            DayRule::RegionalDayOff { note, act },
        ) => {
            format!("региональный нерабочий день: {note} ({act})")
        }
        (
            OpenState::Closed {
                why: ClosedWhy::DayOff,
            },
            _,
        ) => "выходной день".to_owned(),
        (
            OpenState::Closed {
                why: ClosedWhy::BeforeOpening { opens },
            },
            _,
        ) => {
            format!("откроется в {}", clock(Some(opens)))
        }
        (
            OpenState::Closed {
                why: ClosedWhy::Break { reopens },
            },
            _,
        ) => {
            format!("перерыв до {}", clock(Some(reopens)))
        }
        (
            OpenState::Closed {
                why: ClosedWhy::AfterClosing { closed },
            },
            _,
        ) => {
            format!("рабочий день окончен в {}", clock(Some(closed)))
        }
    };
    (status.is_open(), text)
}

/// Whether a staff member takes calls at `at`, and why (not), in Russian.
fn duty(
    snapshot: &DirectorySnapshot,
    person: &ResponsibleStaff,
    at: DateTime<Utc>,
) -> (bool, String) {
    if !person.active {
        return (false, "исключён из графика (неактивен)".to_owned());
    }
    let Some(org) = snapshot.organisations.get(&person.organisation) else {
        return (false, "организация не найдена в справочнике".to_owned());
    };
    let today = local_time(org.time_zone, at).date();
    if let Some(absence) = person
        .absences
        .iter()
        .find(|absence| absence.first_day <= today && today <= absence.last_day)
    {
        let reason = if absence.reason.is_empty() {
            "отсутствует"
        } else {
            absence.reason.as_str()
        };
        return (
            false,
            format!("{reason} по {}", absence.last_day.format("%d.%m.%Y")),
        );
    }
    let (open, status) = organisation_status(snapshot, org, at);
    if open {
        (true, format!("на месте, организация {status}"))
    } else {
        (false, format!("организация: {status}"))
    }
}
