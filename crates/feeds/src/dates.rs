//! Dates as each output writes them.
//!
//! Feeds: RFC 2822 with a numeric zone and English names for RSS, RFC 3339
//! with an offset for Atom and JSON Feed; never a zone name such as `CEST`,
//! which readers misread. Pages: the day as the release's language writes it
//! ("24 mars 2022", "24. März 2022"), ISO 8601 for languages we do not know.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, SecondsFormat, Timelike};
use pressroom_core::Lang;

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

/// `2022-03-24`, for `datetime` attributes and unknown languages.
pub(crate) fn iso_day(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The day written out in `lang`: "24 March 2022", "1er mars 2022",
/// "24 de marzo de 2022", "24. März 2022", "24 مارس 2022"; ISO 8601 for other
/// languages.
pub(crate) fn long_day(day: NaiveDate, lang: &Lang) -> String {
    let (d, m, y) = (day.day(), day.month0() as usize, day.year());
    match lang.primary() {
        "en" => format!("{d} {} {y}", EN[m]),
        "fr" if d == 1 => format!("1er {} {y}", FR[m]),
        "fr" => format!("{d} {} {y}", FR[m]),
        "es" => format!("{d} de {} de {y}", ES[m]),
        "de" => format!("{d}. {} {y}", DE[m]),
        "ar" => format!("{d} {} {y}", AR[m]),
        _ => iso_day(day),
    }
}

const EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
/// The month names used in Egypt and the Gulf, the most widely understood.
const AR: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
    }

    fn time(rfc3339: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(rfc3339).expect("a valid test time")
    }

    #[test]
    fn days_are_written_in_the_release_language() {
        let check = |lang: &str, expected: &str| {
            let lang = Lang::parse(lang).expect("a valid test language");
            assert_eq!(long_day(day(2022, 3, 24), &lang), expected, "in {lang}");
        };
        check("fr", "24 mars 2022");
        check("en", "24 March 2022");
        check("en-GB", "24 March 2022");
        check("ar", "24 مارس 2022");
        check("es", "24 de marzo de 2022");
        check("de", "24. März 2022");
        check("it", "2022-03-24");
        check("zh-Hant", "2022-03-24");
    }

    #[test]
    fn the_first_of_the_month_is_premier_in_french() {
        let fr = Lang::parse("fr").expect("valid");
        assert_eq!(long_day(day(2023, 8, 1), &fr), "1er août 2023");
        assert_eq!(long_day(day(2023, 12, 2), &fr), "2 décembre 2023");
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
