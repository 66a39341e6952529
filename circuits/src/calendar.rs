//! The calendar, in one place: day numbers, calendar dates, and Unix times as people read
//! them (ISO 8601, UTC). Native only; circuits never convert, they compare day numbers.
//!
//! **Day numbers.** An [`EpochDay`] counts days after 1799-12-31 in the proleptic Gregorian
//! calendar, without time zone: `EpochDay(1)` is 1800-01-01 ([`EpochDay::FIRST`]) and
//! `EpochDay(146_097)` is 2199-12-31 ([`EpochDay::LAST`]). The range is exactly one
//! 400-year Gregorian cycle: wide enough for the birth date of anyone a record can be about
//! (a patient born in 1921 is 105 in 2026) and for any record date this system will see,
//! and small enough that every day is a non-negative integer far below 2^64, which is what
//! the circuits range-check. Day 0 is no date at all ([`EpochDay::NONE`]), so an absent
//! optional date (an end date that is not there) can never be mistaken for a real day.
//!
//! **Times.** A [`Timestamp`] is Unix seconds. [`EpochDay::of_timestamp`] is the one
//! conversion from a time to the (UTC) day it falls in. Both types display as ISO 8601:
//! `2026-12-04T18:39:01Z` and `2026-12-04`.
//!
//! Conversions are Howard Hinnant's `days_from_civil` and `civil_from_days`
//! (<https://howardhinnant.github.io/date_algorithms.html>), exact for every year this module
//! accepts ([`MAX_ABS_YEAR`]).

use crate::types::{EpochDay, Timestamp};

/// The year of [`EpochDay::FIRST`].
pub const FIRST_YEAR: i64 = 1800;
/// The year of [`EpochDay::LAST`].
pub const LAST_YEAR: i64 = 2199;
/// Seconds in a day (Unix time has no leap seconds).
pub const SECONDS_PER_DAY: u64 = 86_400;
/// Days in a 400-year Gregorian cycle: the length of the supported range, and Hinnant's era.
pub const DAYS_PER_ERA: i64 = 146_097;
/// Years in an era.
const YEARS_PER_ERA: i64 = 400;
/// Days from 0000-03-01 (where Hinnant's eras start) to 1799-12-31 (day number 0).
const DAYS_0000_03_01_TO_EPOCH: i64 = 657_376;
/// The day number of 1970-01-01, the Unix epoch.
pub const UNIX_EPOCH_DAY: EpochDay = EpochDay(62_092);
/// Largest `|year|` [`CivilDate::day_number`] converts: past the year of `u64::MAX` Unix
/// seconds (about 5.8e11), and every intermediate value stays far inside `i64`.
pub const MAX_ABS_YEAR: i64 = 1_000_000_000_000;
/// The month (1-based) and day that only leap years have.
pub const LEAP_DAY: (u32, u32) = (2, 29);
/// Seconds in an hour.
const SECONDS_PER_HOUR: u64 = 3_600;
/// Seconds in a minute.
const SECONDS_PER_MINUTE: u64 = 60;
/// The last year ISO 8601 writes with four digits; later years are written `+YYYYY`.
const LAST_FOUR_DIGIT_YEAR: i64 = 9999;

/// A calendar date (proleptic Gregorian). Displays as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    /// Year, e.g. 2026.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
}

/// Whether `year` has a 29 February.
pub fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// Days in `month` of `year`; `None` for a month outside 1..=12.
pub fn days_in_month(year: i64, month: u32) -> Option<u32> {
    Some(match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => return None,
    })
}

impl CivilDate {
    /// `year-month-day` (not checked: see [`Self::is_valid`]).
    pub const fn new(year: i64, month: u32, day: u32) -> Self {
        Self { year, month, day }
    }

    /// Whether the date exists (no 2011-02-29, no month 13) and its year is within
    /// [`MAX_ABS_YEAR`].
    pub fn is_valid(self) -> bool {
        self.year.abs() <= MAX_ABS_YEAR
            && days_in_month(self.year, self.month).is_some_and(|n| (1..=n).contains(&self.day))
    }

    /// Days after 1799-12-31 (negative on and before it) of any valid date, in or out of
    /// the supported range (age windows reach back past 1800 before they are clamped).
    /// `None` for a date that [`Self::is_valid`] refuses.
    pub fn day_number(self) -> Option<i64> {
        if !self.is_valid() {
            return None;
        }
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        // Years start on 1 March so that the leap day is the last day of a year.
        let year = if month <= 2 { self.year - 1 } else { self.year };
        let era = year.div_euclid(YEARS_PER_ERA);
        let year_of_era = year - era * YEARS_PER_ERA;
        let month_from_march = if month > 2 { month - 3 } else { month + 9 };
        let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        Some(era * DAYS_PER_ERA + day_of_era - DAYS_0000_03_01_TO_EPOCH)
    }

    /// The date of a day number (days after 1799-12-31, negative before), the inverse of
    /// [`Self::day_number`]. `None` past [`MAX_ABS_YEAR`].
    pub fn of_day_number(number: i64) -> Option<Self> {
        let bound = MAX_ABS_YEAR / YEARS_PER_ERA * DAYS_PER_ERA;
        if !(-bound..=bound).contains(&number) {
            return None;
        }
        let z = number + DAYS_0000_03_01_TO_EPOCH;
        let era = z.div_euclid(DAYS_PER_ERA);
        let day_of_era = z - era * DAYS_PER_ERA;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 3
        } else {
            month_from_march - 9
        };
        let year = year_of_era + era * YEARS_PER_ERA + i64::from(month <= 2);
        Some(Self::new(
            year,
            u32::try_from(month).ok()?,
            u32::try_from(day).ok()?,
        ))
    }

    /// "This date minus `years` years": the same month and day `years` earlier, 29 February
    /// becoming 28 February in a common year (what "aged `years` on this date" is measured
    /// against). `None` if the result is not [`Self::is_valid`].
    pub fn years_before(self, years: u32) -> Option<Self> {
        let year = self.year.checked_sub(i64::from(years))?;
        let day = if (self.month, self.day) == LEAP_DAY && !is_leap_year(year) {
            LEAP_DAY.1 - 1
        } else {
            self.day
        };
        Some(Self::new(year, self.month, day)).filter(|d| d.is_valid())
    }
}

/// Writes an ISO 8601 year: four digits, a sign and more digits past 9999 or before 0.
fn write_year(f: &mut core::fmt::Formatter<'_>, year: i64) -> core::fmt::Result {
    if (0..=LAST_FOUR_DIGIT_YEAR).contains(&year) {
        write!(f, "{year:04}")
    } else if year > LAST_FOUR_DIGIT_YEAR {
        write!(f, "+{year}")
    } else {
        write!(f, "-{:04}", year.unsigned_abs())
    }
}

impl core::fmt::Display for CivilDate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write_year(f, self.year)?;
        write!(f, "-{:02}-{:02}", self.month, self.day)
    }
}

/// The day number of a valid date in the supported range.
pub(crate) fn epoch_day(date: CivilDate) -> Option<EpochDay> {
    let n = u64::try_from(date.day_number()?).ok()?;
    Some(EpochDay(n)).filter(|d| d.is_date())
}

/// The calendar date of a day in the supported range.
pub(crate) fn civil_date(day: EpochDay) -> Option<CivilDate> {
    if !day.is_date() {
        return None;
    }
    CivilDate::of_day_number(i64::try_from(day.0).ok()?)
}

/// `2026-12-04T18:39:01Z`: the UTC date and time of a Unix time.
pub(crate) fn fmt_timestamp(t: Timestamp, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    let days = t.0 / SECONDS_PER_DAY;
    let secs = t.0 % SECONDS_PER_DAY;
    // u64::MAX seconds is about 2.1e14 days: inside i64 and MAX_ABS_YEAR.
    let date = i64::try_from(days)
        .ok()
        .and_then(|d| d.checked_add(i64::try_from(UNIX_EPOCH_DAY.0).ok()?))
        .and_then(CivilDate::of_day_number);
    let Some(date) = date else {
        // Unreachable for a u64 of seconds; still never panic on display.
        return write!(f, "(Unix time {})", t.0);
    };
    write!(
        f,
        "{date}T{:02}:{:02}:{:02}Z",
        secs / SECONDS_PER_HOUR,
        secs % SECONDS_PER_HOUR / SECONDS_PER_MINUTE,
        secs % SECONDS_PER_MINUTE
    )
}

/// `2026-12-04`, `(no date)` for [`EpochDay::NONE`], and a plain statement of the number for
/// a day past [`EpochDay::LAST`] (a decoded public input can hold one).
pub(crate) fn fmt_epoch_day(day: EpochDay, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
    match civil_date(day) {
        Some(date) => write!(f, "{date}"),
        None if day == EpochDay::NONE => f.write_str("(no date)"),
        None => write!(f, "(day {}, past {})", day.0, EpochDay::LAST),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i64, m: u32, d: u32) -> CivilDate {
        CivilDate::new(y, m, d)
    }

    #[test]
    fn the_range_is_one_gregorian_cycle() {
        assert_eq!(EpochDay::FIRST, EpochDay(1));
        assert_eq!(EpochDay::LAST, EpochDay(146_097));
        assert_eq!(EpochDay::LAST.0 as i64, DAYS_PER_ERA);
        assert_eq!(
            EpochDay::from_civil(date(1800, 1, 1)),
            Some(EpochDay::FIRST)
        );
        assert_eq!(
            EpochDay::from_civil(date(2199, 12, 31)),
            Some(EpochDay::LAST)
        );
        assert_eq!(EpochDay::FIRST.civil(), Some(date(FIRST_YEAR, 1, 1)));
        assert_eq!(EpochDay::LAST.civil(), Some(date(LAST_YEAR, 12, 31)));
        assert_eq!(date(1799, 12, 31).day_number(), Some(0));
        assert_eq!(
            EpochDay::from_civil(date(1970, 1, 1)),
            Some(UNIX_EPOCH_DAY),
            "the Unix epoch"
        );
    }

    #[test]
    fn every_day_of_the_range_round_trips() {
        let mut previous: Option<CivilDate> = None;
        for n in EpochDay::FIRST.0..=EpochDay::LAST.0 {
            let day = EpochDay(n);
            let c = day.civil().unwrap();
            assert_eq!(EpochDay::from_civil(c), Some(day), "{c}");
            assert!(c.is_valid(), "{c}");
            // Consecutive days are consecutive dates.
            if let Some(p) = previous {
                let next = if p.day < days_in_month(p.year, p.month).unwrap() {
                    date(p.year, p.month, p.day + 1)
                } else if p.month < 12 {
                    date(p.year, p.month + 1, 1)
                } else {
                    date(p.year + 1, 1, 1)
                };
                assert_eq!(c, next);
            }
            // The text round-trips too.
            assert_eq!(day.to_string(), c.to_string());
            previous = Some(c);
        }
    }

    #[test]
    fn leap_years_follow_the_gregorian_rules() {
        for (year, leap) in [
            (1800, false),
            (1900, false),
            (2000, true),
            (2100, false),
            (2024, true),
            (2027, false),
        ] {
            assert_eq!(is_leap_year(year), leap, "{year}");
            assert_eq!(EpochDay::from_civil(date(year, 2, 29)).is_some(), leap);
            let (feb28, mar1) = (
                EpochDay::from_civil(date(year, 2, 28)).unwrap(),
                EpochDay::from_civil(date(year, 3, 1)).unwrap(),
            );
            assert_eq!(mar1.0 - feb28.0, if leap { 2 } else { 1 }, "{year}");
        }
        let year_length = |y| {
            EpochDay::from_civil(date(y + 1, 1, 1)).unwrap().0
                - EpochDay::from_civil(date(y, 1, 1)).unwrap().0
        };
        assert_eq!(
            [1800, 1900, 2000, 2100].map(year_length),
            [365, 365, 366, 365]
        );
    }

    #[test]
    fn dates_outside_the_range_or_impossible_are_refused() {
        for d in [
            date(1799, 12, 31),
            date(2200, 1, 1),
            date(2011, 2, 29),
            date(2026, 4, 31),
            date(2026, 13, 1),
            date(2026, 0, 1),
            date(2026, 1, 0),
            date(1, 1, 1),
        ] {
            assert_eq!(EpochDay::from_civil(d), None, "{d}");
        }
        assert_eq!(EpochDay::NONE.civil(), None);
        assert_eq!(EpochDay(EpochDay::LAST.0 + 1).civil(), None);
        assert_eq!(EpochDay(u64::MAX).civil(), None);
        // Out of range is still a valid date for arithmetic.
        assert_eq!(date(1799, 12, 30).day_number(), Some(-1));
        assert_eq!(CivilDate::of_day_number(-1), Some(date(1799, 12, 30)));
        assert_eq!(date(MAX_ABS_YEAR + 1, 1, 1).day_number(), None);
        assert_eq!(CivilDate::of_day_number(i64::MAX), None);
        assert_eq!(CivilDate::of_day_number(i64::MIN), None);
    }

    #[test]
    fn days_display_as_iso_dates() {
        assert_eq!(EpochDay::FIRST.to_string(), "1800-01-01");
        assert_eq!(EpochDay::LAST.to_string(), "2199-12-31");
        assert_eq!(UNIX_EPOCH_DAY.to_string(), "1970-01-01");
        assert_eq!(EpochDay::NONE.to_string(), "(no date)");
        assert_eq!(
            EpochDay(146_098).to_string(),
            "(day 146098, past 2199-12-31)"
        );
        assert_eq!(date(12_026, 1, 2).to_string(), "+12026-01-02");
        assert_eq!(date(-44, 3, 15).to_string(), "-0044-03-15");
    }

    #[test]
    fn timestamps_display_as_iso_utc() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(1_750_000_000).to_string(), "2025-06-15T15:06:40Z");
        assert_eq!(Timestamp(1_796_409_541).to_string(), "2026-12-04T18:39:01Z");
        assert_eq!(Timestamp(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Timestamp(86_399).to_string(), "1970-01-01T23:59:59Z");
        // Past 9999 ISO 8601 writes a sign; nothing panics up to u64::MAX.
        assert_eq!(
            Timestamp(253_402_300_800).to_string(),
            "+10000-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp(u64::MAX).to_string(),
            "+584554051223-11-09T07:00:15Z"
        );
    }

    #[test]
    fn a_timestamp_falls_in_its_utc_day() {
        assert_eq!(EpochDay::of_timestamp(Timestamp(0)), Some(UNIX_EPOCH_DAY));
        let day = EpochDay::from_civil(date(2025, 6, 15)).unwrap();
        assert_eq!(EpochDay::of_timestamp(Timestamp(1_750_000_000)), Some(day));
        // The day changes at midnight UTC.
        let midnight = 1_749_945_600; // 2025-06-15T00:00:00Z
        assert_eq!(Timestamp(midnight).to_string(), "2025-06-15T00:00:00Z");
        assert_eq!(EpochDay::of_timestamp(Timestamp(midnight)), Some(day));
        assert_eq!(
            EpochDay::of_timestamp(Timestamp(midnight - 1)),
            Some(EpochDay(day.0 - 1))
        );
        // The last second of 2199 is the last day; the next second is out of range.
        let end = (EpochDay::LAST.0 - UNIX_EPOCH_DAY.0 + 1) * SECONDS_PER_DAY;
        assert_eq!(Timestamp(end - 1).to_string(), "2199-12-31T23:59:59Z");
        assert_eq!(
            EpochDay::of_timestamp(Timestamp(end - 1)),
            Some(EpochDay::LAST)
        );
        assert_eq!(EpochDay::of_timestamp(Timestamp(end)), None);
        assert_eq!(EpochDay::of_timestamp(Timestamp(u64::MAX)), None);
    }

    #[test]
    fn years_before_maps_29_february_in_common_years() {
        assert_eq!(date(2028, 2, 29).years_before(18), Some(date(2010, 2, 28)));
        assert_eq!(date(2028, 2, 29).years_before(20), Some(date(2008, 2, 29)));
        assert_eq!(
            date(2026, 11, 24).years_before(130),
            Some(date(1896, 11, 24))
        );
        assert_eq!(
            date(2026, 1, 1).years_before(u32::MAX),
            Some(date(2026 - i64::from(u32::MAX), 1, 1))
        );
        assert_eq!(date(-MAX_ABS_YEAR, 1, 1).years_before(1), None);
    }
}
