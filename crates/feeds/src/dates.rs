//! Dates as each output writes them.
//!
//! Feeds: RFC 2822 with a numeric zone and English names for RSS, RFC 3339
//! with an offset for Atom and JSON Feed; never a zone name such as `CEST`,
//! which readers misread. Pages write the day as the release's language
//! does, with [`pressroom_core::date::long_day`] (shared with the digests).

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Timelike};

/// `time` without its fraction of a second: feeds give times to the second,
/// and `atom_syndication` would otherwise write the fraction.
pub(crate) fn whole_seconds(time: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    time.with_nanosecond(0).unwrap_or(time)
}

/// RFC 2822, as RSS wants it: `Thu, 24 Mar 2022 10:30:00 +0100`.
///
/// Written with `format` rather than chrono's `to_rfc2822`, which panics on
/// years it cannot represent; day and month names are always English.
pub(crate) fn rfc2822(time: DateTime<FixedOffset>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S %z").to_string()
}

/// RFC 3339 with a numeric offset and whole seconds: `2022-03-24T10:30:00+01:00`.
pub(crate) fn rfc3339(time: DateTime<FixedOffset>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// `2022-03-24`, for `datetime` attributes.
pub(crate) fn iso_day(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(rfc3339: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(rfc3339).expect("a valid test time")
    }

    #[test]
    fn rss_dates_have_the_right_weekday_and_a_numeric_zone() {
        let check = |input: &str, expected: &str| assert_eq!(rfc2822(time(input)), expected);
        check(
            "2022-03-24T10:30:00+01:00",
            "Thu, 24 Mar 2022 10:30:00 +0100",
        );
        check(
            "2022-07-01T00:00:05+02:00",
            "Fri, 01 Jul 2022 00:00:05 +0200",
        );
        check(
            "2023-03-12T23:59:59+03:00",
            "Sun, 12 Mar 2023 23:59:59 +0300",
        );
        check(
            "2024-02-29T12:00:00-05:30",
            "Thu, 29 Feb 2024 12:00:00 -0530",
        );
        check("2024-01-01T00:00:00Z", "Mon, 01 Jan 2024 00:00:00 +0000");
    }

    #[test]
    fn rss_dates_never_panic_on_extreme_years() {
        let far = DateTime::from_timestamp(253_402_300_800, 0)
            .expect("year 10000")
            .fixed_offset();
        assert!(rfc2822(far).contains("10000"));
    }

    #[test]
    fn rfc3339_keeps_the_offset_and_drops_fractions() {
        assert_eq!(
            rfc3339(time("2022-03-24T10:30:00.123+01:00")),
            "2022-03-24T10:30:00+01:00"
        );
        assert_eq!(
            rfc3339(time("2022-03-24T10:30:00Z")),
            "2022-03-24T10:30:00+00:00"
        );
    }
}
