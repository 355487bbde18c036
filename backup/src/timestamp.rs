//! Backup timestamps and the time formats SHOW statements use.

use chrono::{Local, TimeZone};

/// `yyyy-MM-dd-HH-mm-ss-SSS` in local time: the backup timestamp of a job submitted at `ms`.
pub fn backup_timestamp(ms: i64) -> String {
    match Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d-%H-%M-%S-%3f").to_string(),
        None => ms.to_string(),
    }
}

/// `yyyy-MM-dd HH:mm:ss` in local time, as SHOW BACKUP prints times.
pub fn show_time(ms: i64) -> String {
    match Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => ms.to_string(),
    }
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let ts = backup_timestamp(now_ms());
        assert_eq!(ts.len(), "2024-12-09-10-25-58-842".len());
        assert_eq!(ts.matches('-').count(), 6);
        assert_eq!(show_time(now_ms()).len(), "2024-12-09 10:25:58".len());
    }
}
