//! Orphan legs: a leg a crashed instance was dialling is still ringing when the
//! next instance connects. Its attempt may not have reached the journal before the
//! crash, so the new instance records it from what Asterisk and the directory know.

use chrono::{DateTime, Utc};

use crate::ari::models::Channel;
use crate::journal::{CalleeKind, RecordKind};
use crate::routing::DirectorySnapshot;

/// The journal records for an orphan leg being hung up: its attempt (kept as it is
/// when the previous instance had journaled it) and the attempt's end, cancelled.
pub(crate) fn orphan_leg_records(
    directory: &DirectorySnapshot,
    leg: &Channel,
    now: DateTime<Utc>,
) -> Vec<RecordKind> {
    let mut records = Vec::with_capacity(2);
    if let Some((target, callee_kind, staff_id, callee_name)) = callee_of(directory, &leg.name) {
        let started = leg
            .extra
            .get("creationtime")
            .and_then(|v| v.as_str())
            .and_then(|text| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z").ok())
            .map_or(now, |at| at.with_timezone(&Utc));
        records.push(RecordKind::AttemptStarted {
            leg: leg.id.clone(),
            target,
            callee_kind,
            staff_id,
            callee_name,
            at: started,
        });
    }
    records.push(RecordKind::AttemptEnded {
        leg: leg.id.clone(),
        result: crate::call::AttemptResult::Cancelled.as_str().to_owned(),
        at: now,
    });
    records
}

/// Who a leg's channel name (`PJSIP/staff01-0000002a`) belongs to: the staff
/// member or specialist whose dial target it was made from.
fn callee_of(
    directory: &DirectorySnapshot,
    channel_name: &str,
) -> Option<(String, CalleeKind, Option<i64>, String)> {
    let (device, _sequence) = channel_name.rsplit_once('-')?;
    let dialled = |target: &str| target.split('@').next() == Some(device);
    if let Some(staff) = directory
        .staff
        .iter()
        .find(|s| dialled(s.endpoint.as_str()))
    {
        return Some((
            staff.endpoint.as_str().to_owned(),
            CalleeKind::Staff,
            Some(staff.id.0),
            staff.full_name.clone(),
        ));
    }
    directory
        .specialists
        .iter()
        .find(|s| dialled(s.endpoint.as_str()))
        .map(|s| {
            (
                s.endpoint.as_str().to_owned(),
                CalleeKind::Specialist,
                None,
                s.full_name.clone(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(name: &str, creationtime: &str) -> Channel {
        serde_json::from_value(serde_json::json!({
            "id": "1700000000.1-leg1",
            "name": name,
            "state": "Ringing",
            "creationtime": creationtime,
        }))
        .unwrap()
    }

    #[test]
    fn an_orphan_staff_leg_is_journaled_with_its_callee_and_creation_time() {
        let directory = crate::routing::tests::directory();
        let staff = &directory.staff[0];
        let name = format!("{}-0000002a", staff.endpoint.as_str());
        let now = Utc::now();
        let records =
            orphan_leg_records(&directory, &leg(&name, "2026-11-28T10:00:01.250+0800"), now);
        assert_eq!(
            records,
            [
                RecordKind::AttemptStarted {
                    leg: "1700000000.1-leg1".into(),
                    target: staff.endpoint.as_str().into(),
                    callee_kind: CalleeKind::Staff,
                    staff_id: Some(staff.id.0),
                    callee_name: staff.full_name.clone(),
                    at: "2026-11-28T02:00:01.250Z".parse().unwrap(),
                },
                RecordKind::AttemptEnded {
                    leg: "1700000000.1-leg1".into(),
                    result: "cancelled".into(),
                    at: now,
                },
            ]
        );
    }

    #[test]
    fn an_orphan_specialist_leg_is_a_specialist_attempt() {
        let directory = crate::routing::tests::directory();
        let specialist = &directory.specialists[0];
        let name = format!("{}-00000001", specialist.endpoint.as_str());
        let records = orphan_leg_records(&directory, &leg(&name, "garbage"), Utc::now());
        assert!(matches!(
            &records[0],
            RecordKind::AttemptStarted { callee_kind: CalleeKind::Specialist, target, .. }
                if target == specialist.endpoint.as_str()
        ));
    }

    #[test]
    fn a_leg_nobody_in_the_directory_owns_only_closes_a_journaled_attempt() {
        let directory = crate::routing::tests::directory();
        let records =
            orphan_leg_records(&directory, &leg("PJSIP/stranger-00000001", ""), Utc::now());
        assert!(matches!(
            records.as_slice(),
            [RecordKind::AttemptEnded { .. }]
        ));
    }
}
