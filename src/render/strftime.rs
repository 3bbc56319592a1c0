//! Python's `datetime.strftime` for `strftime_now`, on chrono.
//!
//! chrono's format codes are the C/glibc ones Python passes through
//! (`%Y %m %d %B %b %A %a %H %M %S %p %j %y %-d %e …`); a code chrono does
//! not know is printed as written, as glibc does.

use chrono::format::{Item, StrftimeItems};
use chrono::NaiveDateTime;
use std::fmt::Write;

pub fn format(now: &NaiveDateTime, fmt: &str) -> String {
    let mut out = String::new();
    for item in StrftimeItems::new(fmt) {
        match item {
            Item::Error => return fmt.to_string(),
            item => {
                let one = [item];
                let _ = write!(out, "{}", now.format_with_items(one.iter()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_codes() {
        let now = chrono::NaiveDate::from_ymd_opt(2024, 7, 6)
            .and_then(|d| d.and_hms_opt(9, 5, 0))
            .unwrap_or_default();
        assert_eq!(format(&now, "%Y-%m-%d"), "2024-07-06");
        assert_eq!(format(&now, "%d %B %Y"), "06 July 2024");
        assert_eq!(format(&now, "%-d %b %Y %H:%M"), "6 Jul 2024 09:05");
        assert_eq!(format(&now, "%A"), "Saturday");
    }
}
