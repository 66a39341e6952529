//! Dates as days since 1970-01-01, from the calendar date as written.
//!
//! A FHIR `date` is `YYYY-MM-DD` and a `dateTime` or `instant` starts with it
//! (`2011-04-06T21:20:23-07:00`). The day count is taken from those ten characters alone:
//! the time and the UTC offset are ignored, never converted. This is deterministic and
//! time-zone free (the same resource gives the same day on every machine, and a clinician's
//! "recorded on 6 April" stays 6 April rather than becoming 7 April in UTC), and it treats
//! date-only values such as `birthDate`, which have no time zone at all, alike.
//!
//! Refused: partial dates (`2011`, `2011-04`: a day count needs a day), impossible dates
//! (`2011-02-30`), and dates before 1970-01-01 (the tuple holds non-negative day counts so
//! that circuits can range-check them as 64-bit values).

use zkconsent_circuits::types::EpochDay;

/// Length of the `YYYY-MM-DD` prefix.
pub const DATE_PREFIX_LEN: usize = 10;
/// First year with non-negative day counts.
pub const EPOCH_YEAR: u64 = 1970;
/// Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
const DAYS_0000_03_01_TO_EPOCH: u64 = 719_468;
/// Days in a 400-year Gregorian cycle.
const DAYS_PER_ERA: u64 = 146_097;

/// Why a date was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD` optionally followed by `T…`.
    #[error("{0:?} is not a full date (YYYY-MM-DD, optionally followed by a time)")]
    Format(String),
    /// Month or day out of range for the month.
    #[error("{0:?} is not a calendar date")]
    NoSuchDay(String),
    /// Before 1970-01-01.
    #[error("{0:?} is before 1970-01-01 (dates are non-negative day counts)")]
    BeforeEpoch(String),
}

fn digits(bytes: &[u8]) -> Option<u64> {
    bytes.iter().try_fold(0u64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: u64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1..=12) of `year`.
pub fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a valid date on or after it (Hinnant's `days_from_civil`).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    // Years start on 1 March, so the leap day is the last day of the year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - DAYS_0000_03_01_TO_EPOCH
}

/// The day of a FHIR `date`, `dateTime` or `instant`, from its `YYYY-MM-DD` prefix.
///
/// # Errors
///
/// [`DateError`] for a partial, impossible or pre-1970 date.
pub fn parse_day(text: &str) -> Result<EpochDay, DateError> {
    let b = text.as_bytes();
    let well_formed = b.len() >= DATE_PREFIX_LEN
        && b[4] == b'-'
        && b[7] == b'-'
        && (b.len() == DATE_PREFIX_LEN || b[DATE_PREFIX_LEN] == b'T');
    let parts = well_formed
        .then(|| Some((digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?)))
        .flatten();
    let Some((year, month, day)) = parts else {
        return Err(DateError::Format(text.to_owned()));
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(DateError::NoSuchDay(text.to_owned()));
    }
    if year < EPOCH_YEAR {
        return Err(DateError::BeforeEpoch(text.to_owned()));
    }
    Ok(EpochDay(days_from_civil(year, month, day)))
}

/// `YYYY-MM-DD` of a day count (for listings).
pub fn format_day(day: EpochDay) -> String {
    // Inverse of days_from_civil (Hinnant's `civil_from_days`), for non-negative counts.
    let z = day.0 + DAYS_0000_03_01_TO_EPOCH;
    let era = z / DAYS_PER_ERA;
    let day_of_era = z - era * DAYS_PER_ERA;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let d = day_of_year - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = year_of_era + era * 400 + u64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> u64 {
        parse_day(s).unwrap().0
    }

    #[test]
    fn known_days() {
        assert_eq!(day("1970-01-01"), 0);
        assert_eq!(day("1970-01-02"), 1);
        assert_eq!(day("1971-01-01"), 365);
        assert_eq!(day("2000-01-01"), 10_957);
        // 2025-06-15T14:13:20Z is Unix time 1_750_000_000 (tests/common BASE).
        assert_eq!(day("2025-06-15"), 1_750_000_000 / 86_400);
        assert_eq!(day("2009-04-29"), 14_363);
    }

    #[test]
    fn leap_years() {
        assert_eq!(day("2000-03-01") - day("2000-02-28"), 2); // 400-year rule: leap
        assert_eq!(day("2100-03-01") - day("2100-02-28"), 1); // century rule: not leap
        assert_eq!(day("2024-03-01") - day("2024-02-28"), 2);
        assert_eq!(day("2023-03-01") - day("2023-02-28"), 1);
        assert_eq!(day("2024-02-29") + 1, day("2024-03-01"));
        assert!(matches!(
            parse_day("2023-02-29"),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(
            parse_day("2100-02-29"),
            Err(DateError::NoSuchDay(_))
        ));
        assert_eq!(day("2001-01-01") - day("2000-01-01"), 366);
    }

    #[test]
    fn the_date_is_taken_as_written() {
        // Late evening at -07:00 is the next day in UTC; the written date counts.
        assert_eq!(day("2011-04-06T21:20:23-07:00"), day("2011-04-06"));
        assert_eq!(day("2011-04-06T23:59:59.999+14:00"), day("2011-04-06"));
        assert_eq!(day("2011-04-06T00:00:00Z"), day("2011-04-06"));
    }

    #[test]
    fn refused_dates() {
        for bad in [
            "",
            "2011",
            "2011-04",
            "2011-4-06",
            "2011-04-6",
            "11-04-06",
            "2011/04/06",
            "2011-04-06 12:00",
            "2011-04-06X",
            "+011-04-06",
            "２０１１-04-06",
        ] {
            assert!(
                matches!(parse_day(bad), Err(DateError::Format(_))),
                "{bad:?}"
            );
        }
        for bad in ["2011-00-10", "2011-13-01", "2011-04-00", "2011-04-31"] {
            assert!(
                matches!(parse_day(bad), Err(DateError::NoSuchDay(_))),
                "{bad:?}"
            );
        }
        for bad in ["1969-12-31", "1900-01-01", "0000-03-01"] {
            assert!(
                matches!(parse_day(bad), Err(DateError::BeforeEpoch(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn format_inverts_parse() {
        for d in [0u64, 1, 59, 365, 10_957, 11_016, 14_363, 20_254, 2_932_896] {
            assert_eq!(day(&format_day(EpochDay(d))), d, "{d}");
        }
        assert_eq!(format_day(EpochDay(0)), "1970-01-01");
        assert_eq!(format_day(EpochDay(11_016)), "2000-02-29");
        assert_eq!(format_day(EpochDay(2_932_896)), "9999-12-31");
    }
}
