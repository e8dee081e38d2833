//! A decision as it leaves the policy: its JSON shape (every mode's name included)
//! and its text rendering.

use serde_json::json;

use super::*;
use crate::routing::policy::DecisionMode;

#[test]
fn decision_json_shape() {
    let snapshot = directory();
    let decision = decide_at(&snapshot, "122", digit('1'), "2026-05-12T13:30:00+08:00");
    let value = serde_json::to_value(&decision).expect("serialises");
    assert_eq!(value["mode"], "automatic");
    assert_eq!(value["line"], "122");
    assert_eq!(
        value["topic"],
        json!({"code": "health", "name_ru": "Здравоохранение", "name_en": "Healthcare"})
    );
    assert_eq!(
        value["candidates"],
        json!([
            {
                "id": 3,
                "name": "Сидорова Анна",
                "position": "специалист",
                "organisation": "hospital",
                "organisation_name": "ГБУЗ «Областная больница»",
                "endpoint": "PJSIP/staff03"
            },
            {
                "id": 5,
                "name": "Смирнова Ольга",
                "position": "специалист",
                "organisation": "polyclinic",
                "organisation_name": "ОГАУЗ «Поликлиника № 1»",
                "endpoint": "PJSIP/staff05"
            }
        ])
    );
    assert_eq!(value["strategy"], "ring_all");
    assert_eq!(value["attempt_timeout_seconds"], 15);
    assert_eq!(value["fallback"], json!(["PJSIP/op1", "PJSIP/op3"]));
    assert_eq!(
        value["fallback_specialists"],
        json!([
            {"id": 1, "name": "Оператор Анна", "endpoint": "PJSIP/op1"},
            {"id": 3, "name": "Оператор Вера", "endpoint": "PJSIP/op3"}
        ])
    );
    assert_eq!(value["reason"]["ru"], decision.reason.ru().as_str());
    assert_eq!(value["reason"]["en"], decision.reason.en().as_str());
    assert_eq!(value["at"], "2026-05-12T05:30:00Z");

    let after_hours = serde_json::to_value(decide_at(
        &snapshot,
        "999",
        digit('1'),
        "2026-05-12T21:00:00+08:00",
    ))
    .expect("serialises");
    assert_eq!(after_hours["mode"], "unknown_line");
    assert_eq!(after_hours["topic"], serde_json::Value::Null);
    assert_eq!(after_hours["candidates"], json!([]));
    assert_eq!(after_hours["strategy"], serde_json::Value::Null);
    assert_eq!(
        after_hours["attempt_timeout_seconds"],
        serde_json::Value::Null
    );
    assert_eq!(after_hours["fallback"], json!(["PJSIP/op1", "PJSIP/op3"]));

    // Every mode's name.
    let names: Vec<String> = [
        DecisionMode::Automatic,
        DecisionMode::Manual,
        DecisionMode::AfterHours,
        DecisionMode::InvalidDigit,
        DecisionMode::NoInput,
        DecisionMode::UnknownLine,
        DecisionMode::UnknownTopic,
        DecisionMode::SpecialistRequested,
        DecisionMode::SpecialistTopic,
        DecisionMode::NobodyReachable,
    ]
    .iter()
    .map(|mode| {
        let json = serde_json::to_value(mode).expect("serialises");
        assert_eq!(json, mode.as_str());
        mode.to_string()
    })
    .collect();
    assert_eq!(
        names,
        [
            "automatic",
            "manual",
            "after_hours",
            "invalid_digit",
            "no_input",
            "unknown_line",
            "unknown_topic",
            "specialist_requested",
            "specialist_topic",
            "nobody_reachable"
        ]
    );
}

#[test]
fn specialist_topic_keeps_the_topic_in_json() {
    let snapshot = directory();
    let value = serde_json::to_value(decide_at(
        &snapshot,
        "117",
        digit('1'),
        "2026-05-12T10:00:00+08:00",
    ))
    .expect("serialises");
    assert_eq!(value["mode"], "specialist_topic");
    assert_eq!(value["topic"]["code"], "military");
}

#[test]
fn render_text_lists_candidates_and_both_reasons() {
    let snapshot = directory();
    let text = decide_at(&snapshot, "122", digit('1'), "2026-05-12T13:30:00+08:00").render_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "automatic — line 122, topic health («Здравоохранение» / Healthcare)"
    );
    assert_eq!(lines[1], "at 2026-05-12T05:30:00+00:00");
    assert_eq!(lines[2], "strategy: all at once, 15 s per attempt");
    assert!(
        lines[3].starts_with("ru: Тема «Здравоохранение»: ГБУЗ"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("en: Topic “Healthcare”: ГБУЗ"),
        "{}",
        lines[4]
    );
    assert_eq!(lines[5], "candidates (2):");
    assert_eq!(
        lines[6],
        "  1. Сидорова Анна, специалист — ГБУЗ «Областная больница» (hospital) — PJSIP/staff03"
    );
    assert_eq!(
        lines[7],
        "  2. Смирнова Ольга, специалист — ОГАУЗ «Поликлиника № 1» (polyclinic) — PJSIP/staff05"
    );
    assert_eq!(lines[8], "fallback: PJSIP/op1, PJSIP/op3");

    let closed = decide_at(&snapshot, "122", digit('1'), "2026-05-12T21:00:00+08:00").render_text();
    assert!(closed.contains("\ncandidates: none\n"), "{closed}");
    assert!(!closed.contains("strategy:"), "{closed}");
}
