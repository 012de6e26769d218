//! The vocabulary a sweep's charts and report share. The sweep's files are loaded by
//! [`crate::results::run_folder`].

/// A job size for people: "1 µs", "30 µs", "1.5 ms", "30 ms", "2.5 s".
pub fn size_words(ms: f64) -> String {
    let (v, unit) = if ms >= 1000.0 {
        (ms / 1000.0, "s")
    } else if ms >= 1.0 {
        (ms, "ms")
    } else if ms >= 0.001 {
        (ms * 1000.0, "µs")
    } else {
        (ms * 1e6, "ns")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(size_words(0.001), "1 µs");
        assert_eq!(size_words(0.03), "30 µs");
        assert_eq!(size_words(0.3), "300 µs");
        assert_eq!(size_words(1.0), "1 ms");
        assert_eq!(size_words(2.345), "2.35 ms");
        assert_eq!(size_words(30.0), "30 ms");
        assert_eq!(size_words(2500.0), "2.5 s");
        assert_eq!(size_words(0.0005), "500 ns");
    }
}
