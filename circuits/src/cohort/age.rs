//! Ages as birth-date windows, natively (proleptic Gregorian calendar, no time zone).
//!
//! The circuit never computes an age: a study's age criterion becomes a public window
//! `[birth_lo, birth_hi]` of birth dates (days since 1970-01-01, `docs/spec.md` §10.4) and the
//! circuit range-checks the summary's birth date against it. [`birth_window`] is the one
//! place that turns "aged `min` to `max` on the reference date" into that window.
//!
//! **Whole years.** Someone born on `B` is aged `n` or more on `R` exactly when `B` is on or
//! before "`R` minus `n` years": the same month and day in year `Y − n` (`Y` the reference
//! year), where 29 February becomes 28 February in a common year. So
//!
//! `min <= age <= max  ⇔  (R − (max + 1) years) + 1 day  <=  B  <=  R − min years`.
//!
//! **29 February.** Mapping a reference date of 29 February to 28 February is forced (on
//! 29 February 2028 someone born on 28 February 2010 has had their 18th birthday, someone
//! born on 1 March 2010 has not). Its consequence for people born on 29 February: in a
//! common year they turn `n` on **1 March**, not on 28 February (on 28 February 2027
//! someone born on 29 February 2008 is still 18; on 1 March 2027 they are 19).
//!
//! Dates are days since 1970-01-01 and never negative (§10.4 refuses earlier dates), so a
//! window whose lower end falls before 1970 starts at day 0, which loses nobody: no record
//! carries an earlier birth date.
//!
//! Conversions are Howard Hinnant's `days_from_civil` and `civil_from_days`
//! (<https://howardhinnant.github.io/date_algorithms.html>), exact for every year in range.

use crate::{record::InclusiveRange, types::EpochDay};

/// Days from 0000-03-01 to 1970-01-01 in Hinnant's algorithms.
const EPOCH_SHIFT: i64 = 719_468;
/// Days in a 400-year Gregorian era.
const DAYS_PER_ERA: i64 = 146_097;
/// Years in an era.
const YEARS_PER_ERA: i64 = 400;
/// First year of the calendar dates handled here (the epoch's year).
pub const MIN_YEAR: i64 = 1970;
/// Last year of the calendar dates handled here: far enough for any record, small enough
/// that no intermediate value can overflow.
pub const MAX_YEAR: i64 = 9999;
/// The month (1-based) and day that do not exist in a common year.
const LEAP_DAY: (u32, u32) = (2, 29);

/// A calendar date (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    /// Year, e.g. 2026.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
}

impl CivilDate {
    /// `year-month-day`.
    pub const fn new(year: i64, month: u32, day: u32) -> Self {
        Self { year, month, day }
    }
}

/// Whether `year` has a 29 February.
pub fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// Days in `month` of `year`; `None` for a month outside 1..=12.
fn days_in_month(year: i64, month: u32) -> Option<u32> {
    Some(match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => return None,
    })
}

/// Days from 1970-01-01 to a valid date (negative before it). The caller checks validity
/// and keeps `|year|` small enough (at most a few billion) for `i64`.
fn days_from_civil(date: CivilDate) -> i64 {
    let (month, day) = (i64::from(date.month), i64::from(date.day));
    // Years start on 1 March so that the leap day is the last day of a year.
    let year = if month <= 2 { date.year - 1 } else { date.year };
    let era = year.div_euclid(YEARS_PER_ERA);
    let year_of_era = year - era * YEARS_PER_ERA;
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
}

/// The day number of a calendar date: `None` for an impossible date (2011-02-29, month 13)
/// or one outside [`MIN_YEAR`]`..=`[`MAX_YEAR`].
pub fn epoch_day(date: CivilDate) -> Option<EpochDay> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&date.year)
        || date.day == 0
        || date.day > days_in_month(date.year, date.month)?
    {
        return None;
    }
    u64::try_from(days_from_civil(date)).ok().map(EpochDay)
}

/// The calendar date of a day number; `None` past the end of [`MAX_YEAR`].
pub fn civil_date(day: EpochDay) -> Option<CivilDate> {
    let last = days_from_civil(CivilDate::new(MAX_YEAR, 12, 31));
    let z = i64::try_from(day.0).ok().filter(|z| *z <= last)? + EPOCH_SHIFT;
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
    Some(CivilDate::new(
        year,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    ))
}

/// "`date` minus `years` years" as days from 1970-01-01 (negative before it): the same month
/// and day `years` earlier, 29 February becoming 28 February in a common year.
fn years_before(date: CivilDate, years: u64) -> Option<i64> {
    let year = date.year.checked_sub(i64::try_from(years).ok()?)?;
    let day = if (date.month, date.day) == LEAP_DAY && !is_leap_year(year) {
        LEAP_DAY.1 - 1
    } else {
        date.day
    };
    Some(days_from_civil(CivilDate::new(year, date.month, day)))
}

/// The birth dates of everyone aged `min_age` to `max_age` whole years (both inclusive) on
/// `reference`, as the inclusive window a Cohort proof checks (module docs: whole years,
/// 29 February, the clamp at 1970).
///
/// `None` when nobody can qualify: `min_age > max_age`, a reference date past
/// [`MAX_YEAR`], or an upper end before 1970-01-01.
pub fn birth_window(reference: EpochDay, min_age: u32, max_age: u32) -> Option<InclusiveRange> {
    if min_age > max_age {
        return None;
    }
    let reference = civil_date(reference)?;
    let hi = u64::try_from(years_before(reference, u64::from(min_age))?).ok()?;
    // Too old means born on or before R − (max + 1) years.
    let too_old = years_before(reference, u64::from(max_age) + 1)?;
    let lo = u64::try_from(too_old + 1).unwrap_or(0);
    Some(InclusiveRange::new(lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i64, month: u32, d: u32) -> u64 {
        epoch_day(CivilDate::new(year, month, d)).unwrap().0
    }

    /// Age in whole years, counted the slow way: birthdays passed, with the module's
    /// 29 February rule (1 March in a common year).
    fn age(birth: CivilDate, on: CivilDate) -> i64 {
        let birthday_passed = if (birth.month, birth.day) == LEAP_DAY && !is_leap_year(on.year) {
            (on.month, on.day) >= (3, 1)
        } else {
            (on.month, on.day) >= (birth.month, birth.day)
        };
        on.year - birth.year - i64::from(!birthday_passed)
    }

    #[test]
    fn known_days_round_trip() {
        assert_eq!(day(1970, 1, 1), 0);
        assert_eq!(day(2011, 4, 6), 15_070);
        assert_eq!(day(2026, 11, 24), 20_781);
        assert_eq!(day(2000, 3, 1), 11_017);
        for d in (0..2_932_896u64).step_by(97).chain([2_932_896]) {
            let c = civil_date(EpochDay(d)).unwrap();
            assert_eq!(epoch_day(c), Some(EpochDay(d)), "{c:?}");
        }
        assert_eq!(
            civil_date(EpochDay(2_932_896)),
            Some(CivilDate::new(9999, 12, 31))
        );
        assert_eq!(civil_date(EpochDay(2_932_897)), None);
        assert_eq!(civil_date(EpochDay(u64::MAX)), None);
    }

    #[test]
    fn impossible_and_early_dates_are_refused() {
        for (y, m, d) in [
            (2011, 2, 29),
            (1900 + 200, 2, 29),
            (2026, 4, 31),
            (2026, 13, 1),
            (2026, 0, 1),
            (2026, 1, 0),
            (1969, 12, 31),
            (10_000, 1, 1),
        ] {
            assert_eq!(epoch_day(CivilDate::new(y, m, d)), None, "{y}-{m}-{d}");
        }
        assert!(epoch_day(CivilDate::new(2000, 2, 29)).is_some());
        assert!(epoch_day(CivilDate::new(2024, 2, 29)).is_some());
        assert!(!is_leap_year(2100) && is_leap_year(2000) && !is_leap_year(2027));
    }

    #[test]
    fn birthday_on_the_reference_date_counts() {
        let reference = EpochDay(day(2026, 11, 24));
        let w = birth_window(reference, 18, 50).unwrap();
        // 18 today; 18 tomorrow (still 17 today).
        assert_eq!(w.hi, day(2008, 11, 24));
        assert!(w.contains(day(2008, 11, 24)));
        assert!(!w.contains(day(2008, 11, 25)));
        assert!(w.contains(day(2008, 11, 23)));
        // 50 until the day before the 51st birthday.
        assert_eq!(w.lo, day(1975, 11, 25));
        assert!(w.contains(day(1975, 11, 25)));
        assert!(!w.contains(day(1975, 11, 24)));
        // A single age.
        let w = birth_window(reference, 40, 40).unwrap();
        assert_eq!((w.lo, w.hi), (day(1985, 11, 25), day(1986, 11, 24)));
    }

    #[test]
    fn leap_day_birthdays_count_on_1_march_in_common_years() {
        let born = day(2008, 2, 29);
        // 28 February 2027: still 18. 1 March 2027: 19.
        let feb28 = EpochDay(day(2027, 2, 28));
        let mar1 = EpochDay(day(2027, 3, 1));
        assert!(!birth_window(feb28, 19, 150).unwrap().contains(born));
        assert!(birth_window(feb28, 18, 18).unwrap().contains(born));
        assert!(birth_window(mar1, 19, 19).unwrap().contains(born));
        assert!(!birth_window(mar1, 18, 18).unwrap().contains(born));
        // In a leap year, on the day itself.
        let feb29 = EpochDay(day(2028, 2, 29));
        assert!(birth_window(feb29, 20, 20).unwrap().contains(born));
        assert!(!birth_window(EpochDay(feb29.0 - 1), 20, 20)
            .unwrap()
            .contains(born));
        // A reference date of 29 February against a common birth year.
        let w = birth_window(feb29, 18, 18).unwrap();
        assert!(w.contains(day(2010, 2, 28)));
        assert!(!w.contains(day(2010, 3, 1)));
        assert_eq!(w.lo, day(2009, 3, 1));
    }

    #[test]
    fn window_agrees_with_counting_birthdays() {
        let births = [
            (1996, 2, 29),
            (2000, 2, 29),
            (2000, 3, 1),
            (2001, 2, 28),
            (1999, 12, 31),
            (2003, 1, 1),
            (1985, 7, 15),
        ];
        let mut reference = day(2018, 1, 1);
        while reference < day(2030, 1, 1) {
            let on = civil_date(EpochDay(reference)).unwrap();
            for (y, m, d) in births {
                let birth = CivilDate::new(y, m, d);
                let b = epoch_day(birth).unwrap().0;
                let a = age(birth, on);
                for (lo, hi) in [(18, 65), (a as u32, a as u32), (a as u32 + 1, 99)] {
                    let w = birth_window(EpochDay(reference), lo, hi).unwrap();
                    let expected = (i64::from(lo)..=i64::from(hi)).contains(&a);
                    assert_eq!(
                        w.contains(b),
                        expected,
                        "{birth:?} on {on:?} in {lo}..={hi}"
                    );
                }
            }
            reference += 13;
        }
    }

    #[test]
    fn windows_before_1970_clamp_or_vanish() {
        let reference = EpochDay(day(2026, 11, 24));
        // Up to 150: the lower end would be in 1876; nobody anchored is born before 1970.
        assert_eq!(birth_window(reference, 0, 150).unwrap().lo, 0);
        assert_eq!(birth_window(reference, 0, 0).unwrap().hi, reference.0);
        // Aged 60 or more on 1990-01-01: born before 1930, which no record can say.
        assert_eq!(birth_window(EpochDay(day(1990, 1, 1)), 60, 70), None);
        // Exactly 56 on 2026-01-01 means born 1969-01-02 to 1970-01-01: only day 0 is left.
        assert_eq!(
            birth_window(EpochDay(day(2026, 1, 1)), 56, 56),
            Some(InclusiveRange::new(0, 0))
        );
        assert_eq!(birth_window(reference, 30, 29), None);
        assert!(birth_window(reference, u32::MAX, u32::MAX).is_none());
        assert!(birth_window(reference, 0, u32::MAX).is_some());
        assert_eq!(birth_window(EpochDay(u64::MAX), 0, 1), None);
    }
}
