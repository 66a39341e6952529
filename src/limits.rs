//! Bounds on every time and duration a command takes, so that no input can make a grant valid
//! forever, or a verifier accept roots or clocks without limit, by accident.

use zkconsent_circuits::{calendar::SECONDS_PER_DAY, types::Timestamp};

/// The latest time any command takes: 9999-12-31T23:59:59Z.
pub const MAX_TIMESTAMP: u64 = 253_402_300_799;
/// The longest grant: ten years (a patient grants again when it ends).
pub const MAX_GRANT_DAYS: u64 = 3_653;
/// [`MAX_GRANT_DAYS`] in seconds.
pub const MAX_GRANT_SECONDS: u64 = MAX_GRANT_DAYS * SECONDS_PER_DAY;
/// The largest root age or clock skew a verifier accepts: ten years (a bound, not a
/// recommendation: the defaults are minutes).
pub const MAX_POLICY_SECONDS: u64 = MAX_GRANT_SECONDS;

/// `time`, if it is not past [`MAX_TIMESTAMP`].
///
/// # Errors
///
/// A message naming `what` for a later time.
pub fn check_time(what: &str, time: u64) -> Result<Timestamp, String> {
    if time <= MAX_TIMESTAMP {
        Ok(Timestamp(time))
    } else {
        Err(format!(
            "{what} {time} is past {MAX_TIMESTAMP} (9999-12-31T23:59:59Z)"
        ))
    }
}

/// A grant's validity window: not empty, not past [`MAX_TIMESTAMP`], at most
/// [`MAX_GRANT_DAYS`] long.
///
/// # Errors
///
/// What is wrong with it.
pub fn check_grant_window(not_before: Timestamp, not_after: Timestamp) -> Result<(), String> {
    if not_after <= not_before {
        return Err(format!(
            "empty validity window: not_after {} is not after not_before {}",
            not_after.0, not_before.0
        ));
    }
    check_time("not_after", not_after.0)?;
    if not_after.0 - not_before.0 > MAX_GRANT_SECONDS {
        return Err(format!(
            "a grant lasts at most {MAX_GRANT_DAYS} days (ten years); this one lasts {} days",
            (not_after.0 - not_before.0).div_ceil(SECONDS_PER_DAY)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_times_are_bounded() {
        let t = |s| Timestamp(s);
        assert!(check_grant_window(t(10), t(11)).is_ok());
        assert!(check_grant_window(t(10), t(10)).is_err());
        assert!(check_grant_window(t(0), t(MAX_GRANT_SECONDS)).is_ok());
        assert!(check_grant_window(t(0), t(MAX_GRANT_SECONDS + 1)).is_err());
        assert!(check_grant_window(t(MAX_TIMESTAMP - 1), t(MAX_TIMESTAMP)).is_ok());
        assert!(check_grant_window(t(MAX_TIMESTAMP), t(MAX_TIMESTAMP + 1)).is_err());
        assert!(check_grant_window(t(5), t(u64::MAX)).is_err());
        assert!(check_time("now", MAX_TIMESTAMP).is_ok());
        assert!(check_time("now", MAX_TIMESTAMP + 1).is_err());
    }
}
