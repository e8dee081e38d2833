//! `DirectorySnapshot::validated`: each class of problem, named by its row, and all of
//! them at once.

use super::*;

/// Breaks the test directory with `break_it` and returns the messages of the refusal.
fn problems_after(break_it: impl FnOnce(&mut DirectorySnapshot)) -> Vec<String> {
    let mut snapshot = raw_directory();
    break_it(&mut snapshot);
    match snapshot.validated() {
        Ok(_) => Vec::new(),
        Err(error) => error.problems.iter().map(ToString::to_string).collect(),
    }
}

fn staff_mut(snapshot: &mut DirectorySnapshot, id: i64) -> &mut ResponsibleStaff {
    let person = snapshot
        .staff
        .iter_mut()
        .find(|s| s.id == StaffId(id))
        .unwrap_or_else(|| panic!("no staff {id}"));
    Arc::make_mut(person)
}

fn topic_mut<'a>(snapshot: &'a mut DirectorySnapshot, code: &str) -> &'a mut Topic {
    snapshot
        .topics
        .get_mut(&TopicCode(code.into()))
        .unwrap_or_else(|| panic!("no topic {code}"))
}

fn line_mut<'a>(snapshot: &'a mut DirectorySnapshot, number: &str) -> &'a mut Line {
    snapshot
        .lines
        .get_mut(&LineNumber(number.into()))
        .unwrap_or_else(|| panic!("no line {number}"))
}

#[test]
fn the_test_directory_is_valid() {
    assert_eq!(problems_after(|_| {}), Vec::<String>::new());
    assert!(directory().index.rosters.len() == 5);
}

#[test]
fn each_class_of_problem_names_its_row() {
    type Breaker = Box<dyn FnOnce(&mut DirectorySnapshot)>;
    let cases: Vec<(&str, Breaker)> = vec![
        (
            "line 122: digit 5 leads to unknown topic `helth`",
            Box::new(|s| {
                let item = MenuItem {
                    digit: '5',
                    topic: Some(TopicCode("helth".into())),
                    label_ru: "Опечатка".into(),
                };
                line_mut(s, "122").menu.insert('5', item);
            }),
        ),
        (
            "line 122: menu digit 'x' is not a DTMF key (0-9, *, #)",
            Box::new(|s| {
                let item = MenuItem {
                    digit: 'x',
                    topic: None,
                    label_ru: "Не цифра".into(),
                };
                line_mut(s, "122").menu.insert('x', item);
            }),
        ),
        (
            "menu of line 117 `9` is stored under the key `8`",
            Box::new(|s| {
                let item = MenuItem {
                    digit: '9',
                    topic: None,
                    label_ru: "Сдвиг".into(),
                };
                line_mut(s, "117").menu.insert('8', item);
            }),
        ),
        (
            "line 117: menu attempts must be at least 1",
            Box::new(|s| line_mut(s, "117").menu_attempts = 0),
        ),
        (
            "staff #3 (Сидорова Анна): unknown topic `helth`",
            Box::new(|s| staff_mut(s, 3).topics.push(TopicCode("helth".into()))),
        ),
        (
            "staff #5 (Смирнова Ольга): unknown organisation `polyklinik`",
            Box::new(|s| staff_mut(s, 5).organisation = OrganisationCode("polyklinik".into())),
        ),
        (
            "staff #9 (Морозова Елена): absence 2026-05-22 to 2026-05-20 ends before it starts",
            Box::new(|s| {
                let absence = &mut staff_mut(s, 9).absences[0];
                std::mem::swap(&mut absence.first_day, &mut absence.last_day);
            }),
        ),
        (
            "staff #7 (Копия): id used by more than one staff row",
            Box::new(|s| {
                s.staff
                    .push(Arc::new(staff(7, "Копия", "minsoc", &["displaced"], 1)))
            }),
        ),
        (
            "specialist #3 (Оператор Вера): id used by more than one specialist row",
            Box::new(|s| {
                let copy = s.specialists[2].clone();
                s.specialists.push(copy);
            }),
        ),
        (
            "topic `housing`: responsible agency `angarsk-city` does not exist",
            Box::new(|s| {
                topic_mut(s, "housing").agency = Some(OrganisationCode("angarsk-city".into()))
            }),
        ),
        (
            "topic `health`: responsible agency `hospital` is an institution; name its agency instead",
            Box::new(|s| topic_mut(s, "health").agency = Some(OrganisationCode("hospital".into()))),
        ),
        (
            "topic `health`: organisation `morgue` in its order does not exist",
            Box::new(|s| {
                let mut entry = topic_mut(s, "health").organisations[0].clone();
                entry.organisation = OrganisationCode("morgue".into());
                topic_mut(s, "health").organisations.push(entry);
            }),
        ),
        (
            "topic `health`: organisation `hospital` is listed twice in its order",
            Box::new(|s| {
                let entry = topic_mut(s, "health").organisations[0].clone();
                topic_mut(s, "health").organisations.push(entry);
            }),
        ),
        (
            "topic `health` for organisation `hospital`: attempt timeout must be at least 1 second",
            Box::new(|s| {
                topic_mut(s, "health").organisations[0]
                    .routing
                    .attempt_timeout_seconds = 0
            }),
        ),
        (
            "topic `military`: attempt timeout must be at least 1 second",
            Box::new(|s| topic_mut(s, "military").defaults.attempt_timeout_seconds = 0),
        ),
        (
            "organisation `polyclinic`: an institution needs a parent agency",
            Box::new(|s| change_organisation(s, "polyclinic", |o| o.parent = None)),
        ),
        (
            "organisation `polyclinic`: parent `minzdrav-old` does not exist",
            Box::new(|s| {
                change_organisation(s, "polyclinic", |o| {
                    o.parent = Some(OrganisationCode("minzdrav-old".into()));
                });
            }),
        ),
        (
            "organisation `polyclinic`: parent `hospital` is an institution; institutions hang under an agency or a municipal body",
            Box::new(|s| {
                change_organisation(s, "polyclinic", |o| {
                    o.parent = Some(OrganisationCode("hospital".into()))
                });
            }),
        ),
        (
            "organisation `angarsk`: only institutions have a parent, but it names `minsoc`",
            Box::new(|s| {
                change_organisation(s, "angarsk", |o| {
                    o.parent = Some(OrganisationCode("minsoc".into()))
                })
            }),
        ),
        (
            "organisation `minsoc`, weekly hours of Wed: interval 18:00–09:00 closes before it opens",
            Box::new(|s| {
                change_organisation(s, "minsoc", |o| {
                    o.weekly_hours.days[2] = vec![interval("18:00", "09:00")]
                });
            }),
        ),
        (
            "organisation `minsoc`, weekly hours of Thu: interval 12:00–15:00 overlaps or comes before 09:00–13:00; intervals must be sorted and must not overlap",
            Box::new(|s| {
                change_organisation(s, "minsoc", |o| {
                    o.weekly_hours.days[3] =
                        vec![interval("09:00", "13:00"), interval("12:00", "15:00")];
                });
            }),
        ),
        (
            "organisation `minsoc`, override of 2026-05-13: interval 08:00–10:00 overlaps or comes before 14:00–16:00; intervals must be sorted and must not overlap",
            Box::new(|s| {
                change_organisation(s, "minsoc", |o| {
                    o.overrides.insert(
                        date("2026-05-13"),
                        ScheduleOverride::Hours {
                            intervals: vec![interval("14:00", "16:00"), interval("08:00", "10:00")],
                            note: String::new(),
                        },
                    );
                });
            }),
        ),
        (
            "organisation `minsoc`, weekly hours of Fri: interval 20:00–21:00 overlaps or comes before 09:00–24:00; intervals must be sorted and must not overlap",
            Box::new(|s| {
                change_organisation(s, "minsoc", |o| {
                    o.weekly_hours.days[4] =
                        vec![interval("09:00", "24:00"), interval("20:00", "21:00")];
                });
            }),
        ),
        (
            "production calendar 2026-11-28: working day takes the hours of weekday 8; expected 1 (Monday) to 7 (Sunday)",
            Box::new(|s| {
                s.calendar.days.insert(
                    date("2026-11-28"),
                    CalendarDay::Working {
                        hours_of_weekday: 8,
                        note: String::new(),
                    },
                );
            }),
        ),
        (
            "organisation `minsoc` is stored under the key `minsocial`",
            Box::new(|s| {
                let org = s
                    .organisations
                    .remove(&OrganisationCode("minsoc".into()))
                    .expect("minsoc");
                s.organisations
                    .insert(OrganisationCode("minsocial".into()), org);
            }),
        ),
    ];
    for (expected, break_it) in cases {
        let problems = problems_after(break_it);
        assert!(
            problems.iter().any(|p| p == expected),
            "expected {expected:?} among {problems:#?}"
        );
    }
}

#[test]
fn all_problems_are_collected_and_listed() {
    let mut snapshot = raw_directory();
    staff_mut(&mut snapshot, 3)
        .topics
        .push(TopicCode("helth".into()));
    staff_mut(&mut snapshot, 5).organisation = OrganisationCode("nowhere".into());
    topic_mut(&mut snapshot, "health").agency = Some(OrganisationCode("hospital".into()));
    let error = snapshot.validated().expect_err("three problems");
    assert_eq!(error.problems.len(), 3, "{error}");
    assert_eq!(
        error.to_string(),
        "the directory has 3 problem(s):\n  \
         - topic `health`: responsible agency `hospital` is an institution; name its agency instead\n  \
         - staff #3 (Сидорова Анна): unknown topic `helth`\n  \
         - staff #5 (Смирнова Ольга): unknown organisation `nowhere`"
    );
}

#[test]
fn validated_sorts_staff_and_builds_the_index() {
    let mut snapshot = raw_directory();
    snapshot.staff.reverse();
    snapshot.specialists.reverse();
    assert!(
        !snapshot
            .index
            .rosters
            .contains_key(&TopicCode("health".into()))
    );
    let snapshot = snapshot.validated().expect("valid");
    let ids: Vec<i64> = snapshot.staff.iter().map(|s| s.id.0).collect();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());
    assert_eq!(snapshot.specialists[0].id, SpecialistId(1));
    let health = &snapshot.index.rosters[&TopicCode("health".into())];
    let order: Vec<&str> = health
        .organisations
        .iter()
        .map(|o| o.organisation.code.0.as_str())
        .collect();
    assert_eq!(order, ["minzdrav", "hospital", "polyclinic"]);
    // Staff by organisation order, then priority (Кузнецов 5 before Сидорова 10), then id.
    let staff: Vec<i64> = health.staff.iter().map(|e| e.staff.id.0).collect();
    assert_eq!(staff, [1, 2, 4, 3, 5]);
    let fallback: Vec<i64> = snapshot.index.fallback.iter().map(|s| s.id.0).collect();
    assert_eq!(fallback, [1, 3]);
    // Within "health" nobody shares a schedule, but all share Irkutsk time.
    assert!(
        health
            .organisations
            .iter()
            .all(|o| o.same_schedule_as.is_none())
    );
    assert_eq!(health.organisations[2].same_zone_as, Some(0));
}

#[test]
fn organisations_with_the_same_schedule_share_one_status() {
    let mut snapshot = raw_directory();
    // Angarsk takes health calls too, with exactly the ministry's hours.
    change_organisation(&mut snapshot, "angarsk", |o| {
        o.weekly_hours = office_hours()
    });
    staff_mut(&mut snapshot, 9)
        .topics
        .push(TopicCode("health".into()));
    let snapshot = snapshot.validated().expect("valid");
    let health = &snapshot.index.rosters[&TopicCode("health".into())];
    let order: Vec<(&str, Option<usize>)> = health
        .organisations
        .iter()
        .map(|o| (o.organisation.code.0.as_str(), o.same_schedule_as))
        .collect();
    assert_eq!(
        order,
        [
            ("minzdrav", None),
            ("hospital", None),
            ("angarsk", Some(0)),
            ("polyclinic", None)
        ]
    );
}

#[test]
fn snapshots_round_trip_through_serde_without_the_index() {
    let snapshot = directory();
    let json = serde_json::to_string(&snapshot).expect("serialises");
    assert!(json.contains("\"time_zone\":\"Asia/Vladivostok\""));
    let back: DirectorySnapshot = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, snapshot, "the index does not take part in ==");
    assert!(back.index.rosters.is_empty());
}
