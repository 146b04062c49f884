//! Digest schedules: wall-clock slots in the site's zone, across daylight
//! saving changes, and catching up a missed slot once.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use chrono_tz::Tz;
use pressroom_digest::Schedule;

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a valid test time")
        .with_timezone(&Utc)
}

fn schedule(text: &str) -> Schedule {
    Schedule::parse(text).expect("a valid test schedule")
}

/// The slots after `start`, one after the other.
fn slots(schedule: &Schedule, start: &str, zone: Tz, count: usize) -> Vec<String> {
    let mut after = utc(start);
    (0..count)
        .map(|_| {
            after = schedule.next_after(after, zone);
            after.with_timezone(&zone).to_rfc3339()
        })
        .collect()
}

#[test]
fn schedules_parse_and_print_back() {
    for text in ["daily 08:00", "weekly monday 08:00", "weekly sunday 23:59"] {
        assert_eq!(schedule(text).to_string(), text);
    }
    assert_eq!(
        schedule("  Weekly  MON 7:05 ").to_string(),
        "weekly monday 07:05"
    );
    for (bad, reason) in [
        ("", "neither 'daily' nor 'weekly'"),
        ("hourly 08:00", "neither 'daily' nor 'weekly'"),
        ("daily", "'daily' takes a time only"),
        ("daily 8h", "'8h' is not a time"),
        ("daily 24:00", "'24:00' is not a time"),
        ("weekly funday 08:00", "'funday' is not a day"),
        ("weekly 08:00", "takes a day and a time"),
    ] {
        let error = Schedule::parse(bad).expect_err(bad).to_string();
        assert!(error.contains(reason), "{bad:?}: {error}");
        assert!(error.contains(&format!("'{bad}'")), "{error}");
    }
}

#[test]
fn a_daily_digest_follows_the_wall_clock() {
    assert_eq!(
        slots(&schedule("daily 08:00"), "2024-01-10T06:00:00Z", Paris, 3),
        [
            "2024-01-10T08:00:00+01:00",
            "2024-01-11T08:00:00+01:00",
            "2024-01-12T08:00:00+01:00",
        ]
    );
    // Strictly after: a slot that is exactly now is not the next one.
    assert_eq!(
        schedule("daily 08:00").next_after(utc("2024-01-10T07:00:00Z"), Paris),
        utc("2024-01-11T07:00:00Z")
    );
}

#[test]
fn a_weekly_digest_keeps_its_local_time_across_both_2024_changes_in_paris() {
    // Summer time began on Sunday 31 March 2024 and ended on Sunday 27 October.
    assert_eq!(
        slots(
            &schedule("weekly monday 08:00"),
            "2024-03-20T00:00:00Z",
            Paris,
            3
        ),
        [
            "2024-03-25T08:00:00+01:00",
            "2024-04-01T08:00:00+02:00",
            "2024-04-08T08:00:00+02:00",
        ]
    );
    assert_eq!(
        slots(
            &schedule("weekly monday 08:00"),
            "2024-10-15T00:00:00Z",
            Paris,
            3
        ),
        [
            "2024-10-21T08:00:00+02:00",
            "2024-10-28T08:00:00+01:00",
            "2024-11-04T08:00:00+01:00",
        ]
    );
}

#[test]
fn a_time_skipped_by_spring_forward_runs_when_the_clock_resumes() {
    // 02:30 does not exist in Paris on 31 March 2024: 02:00 became 03:00.
    assert_eq!(
        slots(
            &schedule("weekly sunday 02:30"),
            "2024-03-24T12:00:00Z",
            Paris,
            2
        ),
        ["2024-03-31T03:00:00+02:00", "2024-04-07T02:30:00+02:00"]
    );
    assert_eq!(
        schedule("daily 02:30").next_after(utc("2024-03-30T12:00:00Z"), Paris),
        utc("2024-03-31T01:00:00Z")
    );
}

#[test]
fn a_time_repeated_by_fall_back_runs_once_at_its_first_occurrence() {
    // 02:30 happens twice in Paris on 27 October 2024 (CEST, then CET).
    let daily = schedule("daily 02:30");
    assert_eq!(
        slots(&daily, "2024-10-26T12:00:00Z", Paris, 2),
        ["2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"]
    );
    // Between the two occurrences, the next slot is the next day's.
    assert_eq!(
        daily.next_after(utc("2024-10-27T00:45:00Z"), Paris),
        utc("2024-10-28T01:30:00Z")
    );
}

#[test]
fn a_missed_slot_is_caught_up_once() {
    let weekly = schedule("weekly monday 08:00");
    // The daemon was down over Monday 1 April's slot and starts on Wednesday.
    let now = utc("2024-04-03T10:00:00Z");
    let due = weekly.last_due_at_or_before(now, Paris);
    assert_eq!(due, utc("2024-04-01T06:00:00Z"));
    let last_run = utc("2024-03-25T07:00:00Z");
    assert!(due > last_run, "the missed slot is due");
    // After catching up (last run = that slot), nothing is due until next Monday.
    assert_eq!(weekly.last_due_at_or_before(now, Paris), due);
    assert_eq!(weekly.next_after(now, Paris), utc("2024-04-08T06:00:00Z"));
    // A slot that is exactly now is due now.
    assert_eq!(weekly.last_due_at_or_before(due, Paris), due);
    let daily = schedule("daily 08:00");
    assert_eq!(
        daily.last_due_at_or_before(utc("2024-01-10T06:59:59Z"), Paris),
        utc("2024-01-09T07:00:00Z")
    );
}

#[test]
fn other_zones_work_the_same_way() {
    let zone: Tz = "America/New_York".parse().expect("a zone");
    // US summer time began on 10 March 2024.
    assert_eq!(
        slots(&schedule("daily 09:00"), "2024-03-09T00:00:00Z", zone, 2),
        ["2024-03-09T09:00:00-05:00", "2024-03-10T09:00:00-04:00"]
    );
    let riyadh: Tz = "Asia/Riyadh".parse().expect("a zone");
    assert_eq!(
        slots(
            &schedule("weekly sunday 08:00"),
            "2024-03-20T00:00:00Z",
            riyadh,
            1
        ),
        ["2024-03-24T08:00:00+03:00"]
    );
}
