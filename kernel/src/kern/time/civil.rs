//! The proleptic Gregorian calendar: a UTC date and time of day to seconds
//! since the Unix epoch (1970-01-01 00:00:00 UTC), and back (for the boot
//! log line). Pure arithmetic: no clock is read here, and leap seconds do
//! not exist (POSIX time).
//!
//! The algorithm counts days in 400-year eras, which all have the same
//! length (146097 days), with years starting on March 1st so the leap day
//! is the last day of a year: then the day of a year follows from the month
//! by a linear formula (months from March have the lengths 31 30 31 30 31
//! 31 30 31 30 31 31 28/29, whose running sums `(153 * m + 2) / 5` gives
//! exactly), and only the era, the year of the era and the day of the year
//! are needed.

/// Days in a 400-year era.
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 to 1970-01-01.
const EPOCH_SHIFT: i64 = 719_468;

/// Days since 1970-01-01 of `year-month-day` (month 1-12, day 1-31).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Years start in March: January and February belong to the year before.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let m = month as i64;
    let month_from_march = if m > 2 { m - 3 } else { m + 9 }; // 0..=11
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
}

/// `(year, month, day)` of a count of days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + EPOCH_SHIFT;
    let era = z.div_euclid(DAYS_PER_ERA);
    let day_of_era = z - era * DAYS_PER_ERA; // 0..=146096
    // Undo the leap-day corrections to find the year of the era.
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

/// Seconds since the epoch of a UTC date and time of day.
pub fn unix_seconds(year: i64, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> i64 {
    days_from_civil(year, month, day) * 86_400 + (hour * 3600 + min * 60 + sec) as i64
}
