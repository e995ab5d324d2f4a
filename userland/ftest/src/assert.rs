//! Assertion macros for checks: each returns `Err("file:line: ...")` from
//! the enclosing function instead of panicking, so the reason reaches the
//! harness and the check ends cleanly.

/// `check!(cond)` or `check!(cond, "format", args...)`: fails the check
/// when `cond` is false.
#[macro_export]
macro_rules! check {
    ($cond:expr $(,)?) => {
        if !$cond {
            return Err(format!(
                "{}:{}: check failed: {}",
                file!(),
                line!(),
                stringify!($cond)
            ));
        }
    };
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!("{}:{}: {}", file!(), line!(), format_args!($($fmt)+)));
        }
    };
}

/// `ensure_eq!(left, right)` or `ensure_eq!(left, right, "format", args...)`:
/// fails the check when the two differ, showing both values.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (l, r) => {
                if *l != *r {
                    return Err(format!(
                        "{}:{}: {} == {} failed\n  left:  {:?}\n  right: {:?}",
                        file!(),
                        line!(),
                        stringify!($left),
                        stringify!($right),
                        l,
                        r
                    ));
                }
            }
        }
    };
    ($left:expr, $right:expr, $($fmt:tt)+) => {
        match (&$left, &$right) {
            (l, r) => {
                if *l != *r {
                    return Err(format!(
                        "{}:{}: {}\n  left:  {:?}\n  right: {:?}",
                        file!(),
                        line!(),
                        format_args!($($fmt)+),
                        l,
                        r
                    ));
                }
            }
        }
    };
}

/// `fail!("format", args...)`: fails the check unconditionally.
#[macro_export]
macro_rules! fail {
    ($($fmt:tt)+) => {
        return Err(format!("{}:{}: {}", file!(), line!(), format_args!($($fmt)+)))
    };
}
