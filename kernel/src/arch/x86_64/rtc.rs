//! The PC's CMOS real-time clock (an MC146818 behind I/O ports 0x70/0x71):
//! read once at boot for the date and time of day, from which
//! `kern::time` derives CLOCK_REALTIME.
//!
//! This module owns the register protocol only: it returns the calendar
//! fields the chip holds (UTC by convention, as QEMU's `-rtc base=` sets
//! them) and never converts them to a count of seconds, keeps no state and
//! never programs the chip (no alarms, no periodic interrupt, no writes to
//! the time registers).
//!
//! Reading. The chip updates its registers once a second; during the update
//! (status register A bit 7, "update in progress", up to about 2 ms) the
//! fields may be inconsistent. So: wait until no update is in progress,
//! read every field, and read them all again; if the two reads differ an
//! update slipped in between, and we start over. The fields are BCD unless
//! status register B bit 2 says binary, and the hour is 12-hour with bit 7
//! as "PM" unless register B bit 1 says 24-hour. The year register holds
//! two digits; the century is taken as 20 (the century register is not
//! standard across firmware).

use x86_64::instructions::interrupts;
use x86_64::instructions::port::Port;

const INDEX_PORT: u16 = 0x70;
const DATA_PORT: u16 = 0x71;

const REG_SECONDS: u8 = 0x00;
const REG_MINUTES: u8 = 0x02;
const REG_HOURS: u8 = 0x04;
const REG_DAY: u8 = 0x07;
const REG_MONTH: u8 = 0x08;
const REG_YEAR: u8 = 0x09;
const REG_STATUS_A: u8 = 0x0a;
const REG_STATUS_B: u8 = 0x0b;

/// Status A: an update of the time registers is in progress.
const A_UPDATE_IN_PROGRESS: u8 = 0x80;
/// Status B: the fields are binary (else BCD).
const B_BINARY: u8 = 0x04;
/// Status B: the hour is 0-23 (else 1-12 with `HOUR_PM`).
const B_24_HOUR: u8 = 0x02;
/// 12-hour mode: the hour is after noon.
const HOUR_PM: u8 = 0x80;

/// Attempts at a consistent double read before giving up.
const MAX_ATTEMPTS: u32 = 16;
/// Polls of status A waiting for an update to end (an update lasts at most
/// about 2 ms; each poll is a port read, a microsecond or more).
const MAX_UIP_POLLS: u32 = 100_000;

/// The date and time the RTC holds (UTC by convention).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

fn cmos_read(reg: u8) -> u8 {
    let mut index = Port::<u8>::new(INDEX_PORT);
    let mut data = Port::<u8>::new(DATA_PORT);
    // SAFETY: 0x70/0x71 are the CMOS index and data ports of the PC; the
    // registers read here (time fields and status A/B) have no read side
    // effects, and bit 7 of the index (NMI mask) is left clear.
    unsafe {
        index.write(reg);
        data.read()
    }
}

/// The raw registers: (seconds, minutes, hours, day, month, year).
fn read_raw() -> [u8; 6] {
    [
        cmos_read(REG_SECONDS),
        cmos_read(REG_MINUTES),
        cmos_read(REG_HOURS),
        cmos_read(REG_DAY),
        cmos_read(REG_MONTH),
        cmos_read(REG_YEAR),
    ]
}

fn update_in_progress() -> bool {
    cmos_read(REG_STATUS_A) & A_UPDATE_IN_PROGRESS != 0
}

fn from_bcd(v: u8) -> u8 {
    (v >> 4) * 10 + (v & 0x0f)
}

/// Decode the raw registers with status register B's format bits; None
/// if a field is out of range (no RTC, or garbage).
fn decode(raw: [u8; 6], status_b: u8) -> Option<RtcTime> {
    let [sec, min, hour_raw, day, month, year] = raw;
    let conv = |v: u8| {
        if status_b & B_BINARY != 0 {
            v
        } else {
            from_bcd(v)
        }
    };
    let mut hour = conv(hour_raw & !HOUR_PM);
    if status_b & B_24_HOUR == 0 {
        // 12-hour clock: 12 AM is 0 h, 12 PM is 12 h.
        hour %= 12;
        if hour_raw & HOUR_PM != 0 {
            hour += 12;
        }
    }
    let t = RtcTime {
        year: 2000 + conv(year) as u16,
        month: conv(month),
        day: conv(day),
        hour,
        minute: conv(min),
        second: conv(sec),
    };
    let ok = t.year < 2100
        && (1..=12).contains(&t.month)
        && (1..=31).contains(&t.day)
        && t.hour < 24
        && t.minute < 60
        && t.second < 60;
    ok.then_some(t)
}

/// Read the date and time; None if the chip never gave two equal reads or
/// holds something that is not a date.
pub fn read() -> Option<RtcTime> {
    interrupts::without_interrupts(|| {
        for _ in 0..MAX_ATTEMPTS {
            let mut polls = 0;
            while update_in_progress() && polls < MAX_UIP_POLLS {
                core::hint::spin_loop();
                polls += 1;
            }
            let first = read_raw();
            let status_b = cmos_read(REG_STATUS_B);
            if update_in_progress() {
                continue;
            }
            let second = read_raw();
            if first == second {
                return decode(first, status_b);
            }
        }
        None
    })
}

/// Decode raw register values (tests: the BCD and 12-hour paths).
pub fn decode_for_test(raw: [u8; 6], status_b: u8) -> Option<RtcTime> {
    decode(raw, status_b)
}

/// Status B bits, for tests that feed `decode_for_test`.
pub mod status_b {
    pub const BINARY: u8 = super::B_BINARY;
    pub const HOUR_24: u8 = super::B_24_HOUR;
}
