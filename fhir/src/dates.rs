//! Dates as day numbers ([`EpochDay`]: days after 1799-12-31), from the calendar date as
//! written.
//!
//! A FHIR `date` is `YYYY-MM-DD` and a `dateTime` or `instant` starts with it
//! (`2011-04-06T21:20:23-07:00`). The day is taken from those ten characters alone: the
//! time and the UTC offset are ignored, never converted. This is deterministic and time-zone
//! free (the same resource gives the same day on every machine, and a clinician's "recorded
//! on 6 April" stays 6 April rather than becoming 7 April in UTC), and it treats date-only
//! values such as `birthDate`, which have no time zone at all, alike.
//!
//! Refused: partial dates (`2011`, `2011-04`: a day number needs a day), impossible dates
//! (`2011-02-30`), and dates outside 1800-01-01 to 2199-12-31, the calendar's range
//! ([`zkconsent_circuits::calendar`]): a document with such a date is refused whole rather
//! than anchored with a date moved into range.
//!
//! The calendar arithmetic is the circuits crate's ([`EpochDay::from_civil`]); this module
//! only reads the text.

use zkconsent_circuits::{
    calendar::{days_in_month, CivilDate},
    types::EpochDay,
};

/// Length of the `YYYY-MM-DD` prefix.
pub const DATE_PREFIX_LEN: usize = 10;
/// Where the fields of `YYYY-MM-DD` are, and the two dashes.
const YEAR: core::ops::Range<usize> = 0..4;
const MONTH: core::ops::Range<usize> = 5..7;
const DAY: core::ops::Range<usize> = 8..10;
const DASHES: [usize; 2] = [4, 7];
/// What may follow the date in a `dateTime` or `instant`.
const TIME_SEPARATOR: u8 = b'T';

/// Why a date was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY-MM-DD` optionally followed by `T…`.
    #[error("{0:?} is not a full date (YYYY-MM-DD, optionally followed by a time)")]
    Format(String),
    /// Month or day out of range for the month.
    #[error("{0:?} is not a calendar date")]
    NoSuchDay(String),
    /// Before 1800-01-01 or after 2199-12-31.
    #[error(
        "{0:?} is outside the supported dates, {first} to {last}",
        first = EpochDay::FIRST,
        last = EpochDay::LAST
    )]
    OutOfRange(String),
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// The day of a FHIR `date`, `dateTime` or `instant`, from its `YYYY-MM-DD` prefix.
///
/// # Errors
///
/// [`DateError`] for a partial or impossible date, or one outside 1800-01-01 to 2199-12-31.
pub fn parse_day(text: &str) -> Result<EpochDay, DateError> {
    let b = text.as_bytes();
    let well_formed = b.len() >= DATE_PREFIX_LEN
        && DASHES.iter().all(|&i| b[i] == b'-')
        && (b.len() == DATE_PREFIX_LEN || b[DATE_PREFIX_LEN] == TIME_SEPARATOR);
    let parts = well_formed
        .then(|| Some((digits(&b[YEAR])?, digits(&b[MONTH])?, digits(&b[DAY])?)))
        .flatten();
    let Some((year, month, day)) = parts else {
        return Err(DateError::Format(text.to_owned()));
    };
    let year = i64::from(year);
    if day == 0 || days_in_month(year, month).is_none_or(|n| day > n) {
        return Err(DateError::NoSuchDay(text.to_owned()));
    }
    EpochDay::from_civil(CivilDate::new(year, month, day))
        .ok_or_else(|| DateError::OutOfRange(text.to_owned()))
}

/// `YYYY-MM-DD` of a day (for listings and messages); `(no date)` for [`EpochDay::NONE`].
pub fn format_day(day: EpochDay) -> String {
    day.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkconsent_circuits::{calendar::SECONDS_PER_DAY, types::Timestamp};

    fn day(s: &str) -> u64 {
        parse_day(s).unwrap().0
    }

    #[test]
    fn known_days() {
        assert_eq!(day("1800-01-01"), EpochDay::FIRST.0);
        assert_eq!(day("1800-01-02"), 2);
        assert_eq!(day("1801-01-01"), 366, "1800 is not a leap year");
        assert_eq!(day("1970-01-01"), 62_092);
        assert_eq!(day("2000-01-01"), 73_049);
        assert_eq!(day("2199-12-31"), EpochDay::LAST.0);
        // 2025-06-15T15:06:40Z is Unix time 1_750_000_000 (tests/common BASE).
        assert_eq!(
            Some(EpochDay(day("2025-06-15"))),
            EpochDay::of_timestamp(Timestamp(1_750_000_000))
        );
        assert_eq!(
            day("2025-06-15") - day("1970-01-01"),
            1_750_000_000 / SECONDS_PER_DAY
        );
        assert_eq!(day("2009-04-29") - day("2000-01-01"), 3_406);
    }

    #[test]
    fn leap_years() {
        assert_eq!(day("2000-03-01") - day("2000-02-28"), 2); // 400-year rule: leap
        assert_eq!(day("2100-03-01") - day("2100-02-28"), 1); // century rule: not leap
        assert_eq!(day("1900-03-01") - day("1900-02-28"), 1);
        assert_eq!(day("1800-03-01") - day("1800-02-28"), 1);
        assert_eq!(day("2024-03-01") - day("2024-02-28"), 2);
        assert_eq!(day("2023-03-01") - day("2023-02-28"), 1);
        assert_eq!(day("2024-02-29") + 1, day("2024-03-01"));
        for bad in ["2023-02-29", "2100-02-29", "1900-02-29", "1800-02-29"] {
            assert!(
                matches!(parse_day(bad), Err(DateError::NoSuchDay(_))),
                "{bad}"
            );
        }
        assert_eq!(day("2001-01-01") - day("2000-01-01"), 366);
    }

    #[test]
    fn the_date_is_taken_as_written() {
        // Late evening at -07:00 is the next day in UTC; the written date counts.
        assert_eq!(day("2011-04-06T21:20:23-07:00"), day("2011-04-06"));
        assert_eq!(day("2011-04-06T23:59:59.999+14:00"), day("2011-04-06"));
        assert_eq!(day("2011-04-06T00:00:00Z"), day("2011-04-06"));
        assert_eq!(day("1921-03-04T08:00:00+01:00"), day("1921-03-04"));
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
        for bad in [
            "1799-12-31",
            "2200-01-01",
            "0000-03-01",
            "9999-12-31",
            "1799-12-31T23:59:59Z",
        ] {
            assert_eq!(
                parse_day(bad),
                Err(DateError::OutOfRange(bad.into())),
                "{bad:?}"
            );
        }
        // The message names the range.
        assert_eq!(
            parse_day("1799-12-31").unwrap_err().to_string(),
            "\"1799-12-31\" is outside the supported dates, 1800-01-01 to 2199-12-31"
        );
    }

    #[test]
    fn format_inverts_parse() {
        for d in [
            1u64, 59, 60, 365, 366, 62_092, 73_049, 73_108, 146_096, 146_097,
        ] {
            assert_eq!(day(&format_day(EpochDay(d))), d, "{d}");
        }
        assert_eq!(format_day(EpochDay::FIRST), "1800-01-01");
        assert_eq!(format_day(EpochDay(73_108)), "2000-02-29");
        assert_eq!(format_day(EpochDay::LAST), "2199-12-31");
        assert_eq!(format_day(EpochDay::NONE), "(no date)");
    }
}
