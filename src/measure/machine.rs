//! A description of the machine and build, recorded with every result set.

use std::process::Command;

use sysinfo::{CpuRefreshKind, RefreshKind, System};

pub use crate::records::Machine;

pub fn available_parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Describe this machine and build.
pub fn describe() -> Machine {
    let mut sys =
        System::new_with_specifics(RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing())).ok();
    let mut total_memory = 0;
    if let Some(s) = sys.as_mut() {
        s.refresh_memory();
        total_memory = s.total_memory();
    }
    let (cpu_model, logical) = sys
        .as_ref()
        .map(|s| {
            (
                s.cpus()
                    .first()
                    .map(|c| c.brand().trim().to_string())
                    .unwrap_or_default(),
                s.cpus().len(),
            )
        })
        .unwrap_or_default();
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let git_commit = git(&["rev-parse", "HEAD"]);
    let git_dirty = git_commit
        .as_ref()
        .and_then(|_| git(&["status", "--porcelain", "--untracked-files=no"]))
        .map(|s| !s.is_empty());
    Machine {
        hostname: System::host_name().unwrap_or_else(|_| "unknown".into()),
        os: System::long_os_version().unwrap_or_else(|_| std::env::consts::OS.into()),
        kernel: System::kernel_version().unwrap_or_else(|_| "unknown".into()),
        arch: std::env::consts::ARCH.into(),
        cpu_model: if cpu_model.is_empty() {
            "unknown CPU".into()
        } else {
            cpu_model
        },
        logical_cores: if logical == 0 {
            available_parallelism()
        } else {
            logical
        },
        physical_cores: System::physical_core_count().ok(),
        available_parallelism: available_parallelism(),
        total_memory_gib: total_memory as f64 / (1u64 << 30) as f64,
        rustc: env!("CONCBENCH_RUSTC_VERSION").into(),
        crate_versions: env!("CONCBENCH_CRATE_VERSIONS")
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        git_commit,
        git_dirty,
    }
}

/// Current UTC time as RFC 3339 ("2026-11-29T17:53:47Z"), without a date-time dependency.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_from_unix(secs)
}

/// Civil date from days since the epoch (Howard Hinnant's algorithm).
pub fn utc_from_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_from_unix(1_796_032_427), "2026-11-30T09:53:47Z");
    }
}
