//! When a digest goes out: `daily 08:00` or `weekly monday 08:00`, in the
//! site's time zone.
//!
//! Slots are wall-clock times, so they move with daylight saving time: a
//! `daily 08:00` digest in Paris goes out at 07:00 UTC in winter and 06:00
//! UTC in summer. Two days a year the wall clock misbehaves, and the rules
//! are: a time that does not exist (skipped by a spring-forward change) runs
//! at the first instant after it that exists; a time that exists twice (on
//! a fall-back day) runs once, at its first occurrence.

use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

/// When a digest is due, as wall-clock time in a zone given at each call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every day at `at`.
    Daily { at: NaiveTime },
    /// Every week on `day` at `at`.
    Weekly { day: Weekday, at: NaiveTime },
}

/// A schedule that is not `daily HH:MM` or `weekly DAY HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid schedule '{input}': {reason} (expected 'daily HH:MM' or 'weekly DAY HH:MM', such as 'weekly monday 08:00')"
)]
pub struct InvalidSchedule {
    pub input: String,
    pub reason: String,
}

impl Schedule {
    /// Parses `daily 08:00` or `weekly monday 08:00` (case-insensitive; days
    /// in English, full or three letters; 24-hour time).
    pub fn parse(input: &str) -> Result<Schedule, InvalidSchedule> {
        let invalid = |reason: String| InvalidSchedule {
            input: input.to_owned(),
            reason,
        };
        let words: Vec<String> = input
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let time = |word: &str| {
            NaiveTime::parse_from_str(word, "%H:%M")
                .map_err(|_| invalid(format!("'{word}' is not a time such as 08:00")))
        };
        match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["daily", at] => Ok(Schedule::Daily { at: time(at)? }),
            ["weekly", day, at] => {
                let day = day
                    .parse::<Weekday>()
                    .map_err(|_| invalid(format!("'{day}' is not a day of the week")))?;
                Ok(Schedule::Weekly { day, at: time(at)? })
            }
            ["daily", ..] => Err(invalid("'daily' takes a time only".to_owned())),
            ["weekly", ..] => Err(invalid("'weekly' takes a day and a time".to_owned())),
            _ => Err(invalid(
                "it starts with neither 'daily' nor 'weekly'".to_owned(),
            )),
        }
    }

    /// The first slot strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let start = after.with_timezone(&zone).date_naive();
        (-1..=8)
            .filter_map(|offset| self.slot_on(start + Duration::days(offset), zone))
            .find(|slot| *slot > after)
            .expect("a weekly slot falls within eight days")
    }

    /// The last slot at or before `now`: a daemon that was down when a slot
    /// passed compares it with the last run and catches up once.
    pub fn last_due_at_or_before(&self, now: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let start = now.with_timezone(&zone).date_naive();
        (-8..=1)
            .rev()
            .filter_map(|offset| self.slot_on(start + Duration::days(offset), zone))
            .find(|slot| *slot <= now)
            .expect("a weekly slot falls within eight days")
    }

    /// The instant of the slot on `day`, if the schedule has one that day.
    fn slot_on(&self, day: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
        let at = match *self {
            Schedule::Daily { at } => at,
            Schedule::Weekly { day: weekday, at } if day.weekday() == weekday => at,
            Schedule::Weekly { .. } => return None,
        };
        Some(resolve(day.and_time(at), zone))
    }
}

/// The instant a wall-clock time stands for: the first of two on a fall-back
/// day, the first existing instant after it in a spring-forward gap.
fn resolve(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(time) => time.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Walk forward to the end of the gap: every zone changes offset on
            // a whole minute, and no gap lasts longer than a day (Samoa, 2011).
            let mut probe = local
                .with_second(0)
                .unwrap_or(local)
                .with_nanosecond(0)
                .unwrap_or(local);
            for _ in 0..=(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(time) = zone.from_local_datetime(&probe).earliest() {
                    return time.with_timezone(&Utc);
                }
            }
            // Unreachable for real zones; read the time as UTC rather than panic.
            local.and_utc()
        }
    }
}

impl fmt::Display for Schedule {
    /// The form `parse` reads: `daily 08:00`, `weekly monday 08:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Daily { at } => write!(f, "daily {}", at.format("%H:%M")),
            Schedule::Weekly { day, at } => {
                let name = match day {
                    Weekday::Mon => "monday",
                    Weekday::Tue => "tuesday",
                    Weekday::Wed => "wednesday",
                    Weekday::Thu => "thursday",
                    Weekday::Fri => "friday",
                    Weekday::Sat => "saturday",
                    Weekday::Sun => "sunday",
                };
                write!(f, "weekly {name} {}", at.format("%H:%M"))
            }
        }
    }
}

impl std::str::FromStr for Schedule {
    type Err = InvalidSchedule;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Schedule::parse(input)
    }
}
