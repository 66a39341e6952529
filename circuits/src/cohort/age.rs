//! Ages as birth-date windows, natively (proleptic Gregorian calendar, no time zone).
//!
//! The circuit never computes an age: a study's age criterion becomes a public window
//! `[birth_lo, birth_hi]` of birth dates (day numbers, [`crate::calendar`]; `docs/spec.md`
//! §10.4) and the circuit range-checks the summary's birth date against it. [`birth_window`]
//! is the one place that turns "aged `min` to `max` on the reference date" into that window.
//!
//! **Whole years.** Someone born on `B` is aged `n` or more on `R` exactly when `B` is on or
//! before "`R` minus `n` years": the same month and day in year `Y − n` (`Y` the reference
//! year), where 29 February becomes 28 February in a common year
//! ([`crate::calendar::CivilDate::years_before`]). So
//!
//! `min <= age <= max  ⇔  (R − (max + 1) years) + 1 day  <=  B  <=  R − min years`.
//!
//! **29 February.** Mapping a reference date of 29 February to 28 February is forced (on
//! 29 February 2028 someone born on 28 February 2010 has had their 18th birthday, someone
//! born on 1 March 2010 has not). Its consequence for people born on 29 February: in a
//! common year they turn `n` on **1 March**, not on 28 February (on 28 February 2027
//! someone born on 29 February 2008 is still 18; on 1 March 2027 they are 19).
//!
//! **Ages 0 to [`MAX_AGE`].** No record carries a birth date before 1800-01-01
//! ([`EpochDay::FIRST`]), so a window whose lower end falls earlier starts there, which
//! loses nobody.

use crate::{record::InclusiveRange, types::EpochDay};

/// The oldest age a study can ask for, in whole years: older than anyone documented, and
/// small enough that every window's lower end is a date the calendar handles.
pub const MAX_AGE: u32 = 130;

/// The birth dates of everyone aged `min_age` to `max_age` whole years (both inclusive) on
/// `reference`, as the inclusive window a Cohort proof checks (module docs: whole years,
/// 29 February, the clamp at 1800-01-01).
///
/// `None` when the ages cannot be asked for or nobody can qualify: `min_age > max_age`,
/// `max_age` past [`MAX_AGE`], a `reference` that is not a date ([`EpochDay::is_date`]), or
/// a window that ends before 1800-01-01.
pub fn birth_window(reference: EpochDay, min_age: u32, max_age: u32) -> Option<InclusiveRange> {
    if min_age > max_age || max_age > MAX_AGE {
        return None;
    }
    let reference = reference.civil()?;
    let hi = reference.years_before(min_age)?.day_number()?;
    // Too old means born on or before R − (max + 1) years.
    let too_old = reference.years_before(max_age + 1)?.day_number()?;
    let first = i64::try_from(EpochDay::FIRST.0).ok()?;
    let lo = (too_old + 1).max(first);
    if hi < lo {
        return None;
    }
    Some(InclusiveRange::new(
        u64::try_from(lo).ok()?,
        u64::try_from(hi).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{is_leap_year, CivilDate, LEAP_DAY};

    fn day(year: i64, month: u32, d: u32) -> u64 {
        EpochDay::from_civil(CivilDate::new(year, month, d))
            .unwrap()
            .0
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
        assert!(!birth_window(feb28, 19, MAX_AGE).unwrap().contains(born));
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
            (1921, 3, 4),
            (1896, 2, 29),
            (1800, 1, 1),
            (1800, 3, 1),
            (1899, 12, 31),
        ];
        // Around today, and around 1900 (a century year that is not a leap year).
        for (from, to) in [((2018, 1, 1), (2030, 1, 1)), ((1899, 1, 1), (1906, 1, 1))] {
            let mut reference = day(from.0, from.1, from.2);
            while reference < day(to.0, to.1, to.2) {
                let on = EpochDay(reference).civil().unwrap();
                for (y, m, d) in births {
                    let birth = CivilDate::new(y, m, d);
                    let b = EpochDay::from_civil(birth).unwrap().0;
                    let a = age(birth, on);
                    let Ok(a) = u32::try_from(a) else { continue };
                    if a > MAX_AGE {
                        continue;
                    }
                    let mut cases = vec![(0, MAX_AGE), (18, 65), (a, a)];
                    if a < MAX_AGE {
                        cases.push((a + 1, MAX_AGE));
                    }
                    if a > 0 {
                        cases.push((0, a - 1));
                    }
                    for (lo, hi) in cases {
                        // No window: nobody so old was born on or after 1800-01-01.
                        let inside = birth_window(EpochDay(reference), lo, hi)
                            .is_some_and(|w| w.contains(b));
                        assert_eq!(
                            inside,
                            (lo..=hi).contains(&a),
                            "{birth} on {on} in {lo}..={hi}"
                        );
                    }
                }
                reference += 13;
            }
        }
    }

    #[test]
    fn ages_0_and_130_are_the_widest_windows() {
        let reference = EpochDay(day(2026, 11, 24));
        // Aged 0: born in the last year, up to the reference date itself.
        let w = birth_window(reference, 0, 0).unwrap();
        assert_eq!((w.lo, w.hi), (day(2025, 11, 25), reference.0));
        // Aged 130: born 1895-11-25 to 1896-11-24.
        let w = birth_window(reference, MAX_AGE, MAX_AGE).unwrap();
        assert_eq!((w.lo, w.hi), (day(1895, 11, 25), day(1896, 11, 24)));
        // Everyone: 0 to 130.
        let w = birth_window(reference, 0, MAX_AGE).unwrap();
        assert_eq!((w.lo, w.hi), (day(1895, 11, 25), reference.0));
        // Someone born in 1921 is 105.
        let born = day(1921, 3, 4);
        assert!(birth_window(reference, 105, 105).unwrap().contains(born));
        assert!(!birth_window(reference, 0, 104).unwrap().contains(born));
        // Past 130 is refused, not clamped.
        assert_eq!(birth_window(reference, 0, MAX_AGE + 1), None);
        assert_eq!(birth_window(reference, MAX_AGE + 1, MAX_AGE + 1), None);
        assert_eq!(birth_window(reference, u32::MAX, u32::MAX), None);
    }

    #[test]
    fn windows_before_1800_clamp_or_vanish() {
        // Up to 130 on 1900-06-01: the lower end would be in 1769; nobody anchored is born
        // before 1800.
        let early = EpochDay(day(1900, 6, 1));
        assert_eq!(
            birth_window(early, 0, MAX_AGE).unwrap().lo,
            EpochDay::FIRST.0
        );
        // Aged 110 or more on 1900-01-01: born before 1790, which no record can say.
        assert_eq!(birth_window(EpochDay(day(1900, 1, 1)), 110, 120), None);
        // Exactly 100 on 1900-01-01 means born 1799-01-02 to 1800-01-01: only the first
        // day is left.
        assert_eq!(
            birth_window(EpochDay(day(1900, 1, 1)), 100, 100),
            Some(InclusiveRange::new(EpochDay::FIRST.0, EpochDay::FIRST.0))
        );
        // The first and last days of the calendar work as reference dates.
        assert_eq!(
            birth_window(EpochDay::FIRST, 0, 0),
            Some(InclusiveRange::new(EpochDay::FIRST.0, EpochDay::FIRST.0))
        );
        assert_eq!(birth_window(EpochDay::FIRST, 1, 1), None);
        let last = birth_window(EpochDay::LAST, 0, MAX_AGE).unwrap();
        assert_eq!((last.lo, last.hi), (day(2069, 1, 1), EpochDay::LAST.0));
        let reference = EpochDay(day(2026, 11, 24));
        assert_eq!(birth_window(reference, 30, 29), None);
        // A reference that is not a date.
        assert_eq!(birth_window(EpochDay::NONE, 0, 1), None);
        assert_eq!(birth_window(EpochDay(EpochDay::LAST.0 + 1), 0, 1), None);
        assert_eq!(birth_window(EpochDay(u64::MAX), 0, 1), None);
    }
}
