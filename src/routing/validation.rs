//! Validation of a directory snapshot: every cross-reference checked, every problem
//! named by its row. [`DirectorySnapshot::validated`] is the only way a snapshot
//! should reach the policy; it also builds the snapshot's routing index.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDate, Weekday};

use super::calendar::CalendarDay;
use super::index::RoutingIndex;
use super::model::{
    DirectorySnapshot, Interval, LineNumber, Organisation, OrganisationCode, OrganisationKind,
    ScheduleOverride, SpecialistId, StaffId, Topic, TopicCode,
};

/// Which day's hours an interval problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoursDay {
    /// The regular weekly hours of a weekday.
    Weekly(Weekday),
    /// A dated override.
    Override(NaiveDate),
}

impl fmt::Display for HoursDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Weekly(weekday) => write!(f, "weekly hours of {weekday}"),
            Self::Override(date) => write!(f, "override of {date}"),
        }
    }
}

/// One thing wrong with a snapshot, naming the row so a roster editor can find it.
/// Most cannot happen with rows from the database (its constraints refuse them); they
/// are checked again because a snapshot may also be built by hand, and a wrong one
/// must never replace a good one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotProblem {
    /// A map holds a row under another key than the row's own, so lookups would miss it.
    #[error("{table} `{row}` is stored under the key `{key}`")]
    KeyMismatch {
        /// Which map ("line", "topic", "organisation", "menu of line 122").
        table: String,
        /// The row's own key.
        row: String,
        /// The key it is stored under.
        key: String,
    },
    /// A menu entry cannot be dialled.
    #[error("line {line}: menu digit {digit:?} is not a DTMF key (0-9, *, #)")]
    MenuDigitNotDtmf {
        /// The line.
        line: LineNumber,
        /// The entry's digit.
        digit: char,
    },
    /// A menu entry leads to a topic the directory does not have.
    #[error("line {line}: digit {digit} leads to unknown topic `{topic}`")]
    MenuUnknownTopic {
        /// The line.
        line: LineNumber,
        /// The entry's digit.
        digit: char,
        /// The missing topic.
        topic: TopicCode,
    },
    /// A line's digit timeout or menu attempts is zero: the menu could never be answered.
    #[error("line {line}: {setting} must be at least 1")]
    LineSettingZero {
        /// The line.
        line: LineNumber,
        /// Which setting.
        setting: &'static str,
    },
    /// A topic names a responsible agency that does not exist.
    #[error("topic `{topic}`: responsible agency `{agency}` does not exist")]
    TopicUnknownAgency {
        /// The topic.
        topic: TopicCode,
        /// The missing agency.
        agency: OrganisationCode,
    },
    /// A topic names an institution as its responsible agency.
    #[error(
        "topic `{topic}`: responsible agency `{agency}` is an institution; name its agency instead"
    )]
    TopicAgencyIsInstitution {
        /// The topic.
        topic: TopicCode,
        /// The institution named.
        agency: OrganisationCode,
    },
    /// A topic's organisation order names an organisation that does not exist.
    #[error("topic `{topic}`: organisation `{organisation}` in its order does not exist")]
    TopicUnknownOrganisation {
        /// The topic.
        topic: TopicCode,
        /// The missing organisation.
        organisation: OrganisationCode,
    },
    /// A topic's organisation order lists an organisation twice.
    #[error("topic `{topic}`: organisation `{organisation}` is listed twice in its order")]
    TopicOrganisationTwice {
        /// The topic.
        topic: TopicCode,
        /// The organisation listed twice.
        organisation: OrganisationCode,
    },
    /// A dial attempt of zero seconds would never ring anyone.
    #[error("topic `{topic}`{}: attempt timeout must be at least 1 second", for_organisation(.organisation.as_ref()))]
    ZeroAttemptTimeout {
        /// The topic.
        topic: TopicCode,
        /// The organisation whose setting it is; `None` for the topic's defaults.
        organisation: Option<OrganisationCode>,
    },
    /// An institution without the agency it is subordinate to.
    #[error("organisation `{organisation}`: an institution needs a parent agency")]
    InstitutionWithoutParent {
        /// The institution.
        organisation: OrganisationCode,
    },
    /// An agency or municipal body with a parent.
    #[error(
        "organisation `{organisation}`: only institutions have a parent, but it names `{parent}`"
    )]
    ParentOfNonInstitution {
        /// The organisation.
        organisation: OrganisationCode,
        /// The parent it names.
        parent: OrganisationCode,
    },
    /// An institution whose parent does not exist.
    #[error("organisation `{organisation}`: parent `{parent}` does not exist")]
    UnknownParent {
        /// The institution.
        organisation: OrganisationCode,
        /// The missing parent.
        parent: OrganisationCode,
    },
    /// An institution subordinate to another institution.
    #[error(
        "organisation `{organisation}`: parent `{parent}` is an institution; institutions hang under an agency or a municipal body"
    )]
    ParentIsInstitution {
        /// The institution.
        organisation: OrganisationCode,
        /// Its parent, itself an institution.
        parent: OrganisationCode,
    },
    /// A working interval that closes before (or when) it opens.
    #[error("organisation `{organisation}`, {day}: interval {interval} closes before it opens")]
    IntervalInverted {
        /// The organisation.
        organisation: OrganisationCode,
        /// Which day's hours.
        day: HoursDay,
        /// The interval.
        interval: Interval,
    },
    /// Intervals of a day out of order or overlapping.
    #[error(
        "organisation `{organisation}`, {day}: interval {interval} overlaps or comes before {previous}; intervals must be sorted and must not overlap"
    )]
    IntervalsOverlap {
        /// The organisation.
        organisation: OrganisationCode,
        /// Which day's hours.
        day: HoursDay,
        /// The interval listed before.
        previous: Interval,
        /// The offending interval.
        interval: Interval,
    },
    /// A transferred working day that names no real weekday.
    #[error(
        "production calendar {date}: working day takes the hours of weekday {weekday}; expected 1 (Monday) to 7 (Sunday)"
    )]
    CalendarWeekdayOutOfRange {
        /// The calendar day.
        date: NaiveDate,
        /// The number given.
        weekday: u8,
    },
    /// A staff member of an organisation that does not exist.
    #[error("staff #{id} ({name}): unknown organisation `{organisation}`")]
    StaffUnknownOrganisation {
        /// The staff member.
        id: StaffId,
        /// Their name, so the editor recognises the row.
        name: String,
        /// The missing organisation.
        organisation: OrganisationCode,
    },
    /// A staff member covering a topic that does not exist.
    #[error("staff #{id} ({name}): unknown topic `{topic}`")]
    StaffUnknownTopic {
        /// The staff member.
        id: StaffId,
        /// Their name.
        name: String,
        /// The missing topic.
        topic: TopicCode,
    },
    /// An absence that ends before it starts.
    #[error("staff #{id} ({name}): absence {first_day} to {last_day} ends before it starts")]
    AbsenceInverted {
        /// The staff member.
        id: StaffId,
        /// Their name.
        name: String,
        /// First day given.
        first_day: NaiveDate,
        /// Last day given.
        last_day: NaiveDate,
    },
    /// Two staff rows with one id: the journal and recency could not tell them apart.
    #[error("staff #{id} ({name}): id used by more than one staff row")]
    DuplicateStaff {
        /// The repeated id.
        id: StaffId,
        /// The name of the second row with it.
        name: String,
    },
    /// Two specialist rows with one id.
    #[error("specialist #{id} ({name}): id used by more than one specialist row")]
    DuplicateSpecialist {
        /// The repeated id.
        id: SpecialistId,
        /// The name of the second row with it.
        name: String,
    },
}

fn for_organisation(organisation: Option<&OrganisationCode>) -> String {
    organisation.map_or_else(String::new, |code| format!(" for organisation `{code}`"))
}

/// A snapshot refused by [`DirectorySnapshot::validated`], with every problem found
/// (not just the first), so one reload tells the roster editor everything to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the directory has {} problem(s):{}", .problems.len(), ProblemList(.problems))]
pub struct SnapshotError {
    /// Every problem, in table order (lines, topics, organisations, calendar, staff,
    /// specialists).
    pub problems: Vec<SnapshotProblem>,
}

/// Lists problems one per line under the error's headline.
struct ProblemList<'a>(&'a [SnapshotProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl DirectorySnapshot {
    /// Checks every cross-reference and rule the policy relies on, collecting *all*
    /// problems, and builds [`DirectorySnapshot::index`]. The only way a snapshot should
    /// reach the policy: the Postgres loader and the tests both go through here.
    /// Also sorts staff and specialists by id, as the fields promise.
    pub fn validated(mut self) -> Result<Self, SnapshotError> {
        self.staff.sort_by_key(|staff| staff.id);
        self.specialists.sort_by_key(|specialist| specialist.id);
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(SnapshotError { problems });
        }
        self.index = Arc::new(RoutingIndex::build(&self));
        Ok(self)
    }

    fn problems(&self) -> Vec<SnapshotProblem> {
        let mut problems = Vec::new();
        self.check_lines(&mut problems);
        self.check_topics(&mut problems);
        self.check_organisations(&mut problems);
        self.check_calendar(&mut problems);
        self.check_staff(&mut problems);
        self.check_specialists(&mut problems);
        problems
    }

    fn check_lines(&self, problems: &mut Vec<SnapshotProblem>) {
        for (key, line) in &self.lines {
            if *key != line.number {
                problems.push(key_mismatch("line", &line.number, key));
            }
            for (setting, value) in [
                ("digit timeout", line.digit_timeout_seconds),
                ("menu attempts", line.menu_attempts),
            ] {
                if value == 0 {
                    problems.push(SnapshotProblem::LineSettingZero {
                        line: line.number.clone(),
                        setting,
                    });
                }
            }
            for (digit, item) in &line.menu {
                if *digit != item.digit {
                    let table = format!("menu of line {}", line.number);
                    problems.push(key_mismatch(&table, item.digit, digit));
                }
                if !matches!(item.digit, '0'..='9' | '*' | '#') {
                    problems.push(SnapshotProblem::MenuDigitNotDtmf {
                        line: line.number.clone(),
                        digit: item.digit,
                    });
                }
                if let Some(topic) = &item.topic
                    && !self.topics.contains_key(topic)
                {
                    problems.push(SnapshotProblem::MenuUnknownTopic {
                        line: line.number.clone(),
                        digit: item.digit,
                        topic: topic.clone(),
                    });
                }
            }
        }
    }

    fn check_topics(&self, problems: &mut Vec<SnapshotProblem>) {
        let mut topics: Vec<&Topic> = self.topics.values().collect();
        topics.sort_by(|a, b| a.code.cmp(&b.code)); // stable message order
        for (key, topic) in self
            .topics
            .iter()
            .filter(|(key, topic)| **key != topic.code)
        {
            problems.push(key_mismatch("topic", &topic.code, key));
        }
        for topic in topics {
            let code = &topic.code;
            match topic
                .agency
                .as_ref()
                .map(|agency| (agency, self.organisations.get(agency)))
            {
                Some((agency, None)) => problems.push(SnapshotProblem::TopicUnknownAgency {
                    topic: code.clone(),
                    agency: agency.clone(),
                }),
                Some((agency, Some(org))) if org.kind == OrganisationKind::Institution => {
                    problems.push(SnapshotProblem::TopicAgencyIsInstitution {
                        topic: code.clone(),
                        agency: agency.clone(),
                    });
                }
                _ => {}
            }
            if topic.defaults.attempt_timeout_seconds == 0 {
                problems.push(SnapshotProblem::ZeroAttemptTimeout {
                    topic: code.clone(),
                    organisation: None,
                });
            }
            let mut seen = HashSet::new();
            for entry in &topic.organisations {
                let organisation = &entry.organisation;
                if !self.organisations.contains_key(organisation) {
                    problems.push(SnapshotProblem::TopicUnknownOrganisation {
                        topic: code.clone(),
                        organisation: organisation.clone(),
                    });
                }
                if !seen.insert(organisation) {
                    problems.push(SnapshotProblem::TopicOrganisationTwice {
                        topic: code.clone(),
                        organisation: organisation.clone(),
                    });
                }
                if entry.routing.attempt_timeout_seconds == 0 {
                    problems.push(SnapshotProblem::ZeroAttemptTimeout {
                        topic: code.clone(),
                        organisation: Some(organisation.clone()),
                    });
                }
            }
        }
    }

    fn check_organisations(&self, problems: &mut Vec<SnapshotProblem>) {
        let mut organisations: Vec<(&OrganisationCode, &Arc<Organisation>)> =
            self.organisations.iter().collect();
        organisations.sort_by(|a, b| a.0.cmp(b.0));
        for (key, org) in organisations {
            let code = &org.code;
            if *key != *code {
                problems.push(key_mismatch("organisation", code, key));
            }
            match (&org.parent, org.kind) {
                (None, OrganisationKind::Institution) => {
                    problems.push(SnapshotProblem::InstitutionWithoutParent {
                        organisation: code.clone(),
                    });
                }
                (Some(parent), OrganisationKind::Institution) => {
                    match self.organisations.get(parent) {
                        None => problems.push(SnapshotProblem::UnknownParent {
                            organisation: code.clone(),
                            parent: parent.clone(),
                        }),
                        Some(p) if p.kind == OrganisationKind::Institution => {
                            problems.push(SnapshotProblem::ParentIsInstitution {
                                organisation: code.clone(),
                                parent: parent.clone(),
                            });
                        }
                        Some(_) => {}
                    }
                }
                (Some(parent), _) => problems.push(SnapshotProblem::ParentOfNonInstitution {
                    organisation: code.clone(),
                    parent: parent.clone(),
                }),
                (None, _) => {}
            }
            for (index, intervals) in org.weekly_hours.days.iter().enumerate() {
                let weekday = Weekday::try_from(index as u8).unwrap_or(Weekday::Mon);
                check_intervals(code, HoursDay::Weekly(weekday), intervals, problems);
            }
            for (date, day) in &org.overrides {
                if let ScheduleOverride::Hours { intervals, .. } = day {
                    check_intervals(code, HoursDay::Override(*date), intervals, problems);
                }
            }
        }
    }

    fn check_calendar(&self, problems: &mut Vec<SnapshotProblem>) {
        for (date, day) in &self.calendar.days {
            if let CalendarDay::Working {
                hours_of_weekday, ..
            } = day
                && !(1..=7).contains(hours_of_weekday)
            {
                problems.push(SnapshotProblem::CalendarWeekdayOutOfRange {
                    date: *date,
                    weekday: *hours_of_weekday,
                });
            }
        }
    }

    fn check_staff(&self, problems: &mut Vec<SnapshotProblem>) {
        let mut ids = HashSet::new();
        for staff in &self.staff {
            let (id, name) = (staff.id, || staff.full_name.clone());
            if !ids.insert(id) {
                problems.push(SnapshotProblem::DuplicateStaff { id, name: name() });
            }
            if !self.organisations.contains_key(&staff.organisation) {
                problems.push(SnapshotProblem::StaffUnknownOrganisation {
                    id,
                    name: name(),
                    organisation: staff.organisation.clone(),
                });
            }
            for topic in staff
                .topics
                .iter()
                .filter(|t| !self.topics.contains_key(*t))
            {
                problems.push(SnapshotProblem::StaffUnknownTopic {
                    id,
                    name: name(),
                    topic: topic.clone(),
                });
            }
            for absence in staff.absences.iter().filter(|a| a.first_day > a.last_day) {
                problems.push(SnapshotProblem::AbsenceInverted {
                    id,
                    name: name(),
                    first_day: absence.first_day,
                    last_day: absence.last_day,
                });
            }
        }
    }

    fn check_specialists(&self, problems: &mut Vec<SnapshotProblem>) {
        let mut ids = HashSet::new();
        for specialist in &self.specialists {
            if !ids.insert(specialist.id) {
                problems.push(SnapshotProblem::DuplicateSpecialist {
                    id: specialist.id,
                    name: specialist.full_name.clone(),
                });
            }
        }
    }
}

fn key_mismatch(table: &str, row: impl fmt::Display, key: impl fmt::Display) -> SnapshotProblem {
    SnapshotProblem::KeyMismatch {
        table: table.to_owned(),
        row: row.to_string(),
        key: key.to_string(),
    }
}

/// Each interval opens before it closes; each starts at or after the previous one's end.
fn check_intervals(
    organisation: &OrganisationCode,
    day: HoursDay,
    intervals: &[Interval],
    problems: &mut Vec<SnapshotProblem>,
) {
    let mut previous: Option<&Interval> = None;
    for interval in intervals {
        if interval
            .closes
            .is_some_and(|closes| closes <= interval.opens)
        {
            problems.push(SnapshotProblem::IntervalInverted {
                organisation: organisation.clone(),
                day,
                interval: *interval,
            });
        }
        if let Some(before) = previous
            && before.closes.is_none_or(|closes| closes > interval.opens)
        {
            problems.push(SnapshotProblem::IntervalsOverlap {
                organisation: organisation.clone(),
                day,
                previous: *before,
                interval: *interval,
            });
        }
        previous = Some(interval);
    }
}
