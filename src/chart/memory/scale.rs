//! How a memory panel maps bytes onto its y axis: linear in the unit that suits its largest
//! bar, or base-2 logarithmic when its bars span more than [`LOG_SPAN`].

use super::super::bars::nice_step;
use super::super::tick;
use super::super::wall_time::trim;
use crate::console::ByteUnit;

/// Above this ratio of the largest to the smallest non-zero bar, a panel's axis is logarithmic.
pub const LOG_SPAN: f64 = 100.0;

/// How bytes map onto a panel's y axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Scale {
    /// Bytes in a unit, from 0.
    Linear(ByteUnit),
    /// log2 of the bytes, from `floor` (a power of two below the smallest non-zero bar).
    Log2 { floor: f64 },
}

impl Scale {
    pub(super) fn for_bytes(bytes: impl Iterator<Item = u64> + Clone) -> Scale {
        let max = bytes.clone().max().unwrap_or(0);
        let min = bytes.filter(|b| *b > 0).min().unwrap_or(0);
        if min > 0 && max as f64 / min as f64 > LOG_SPAN {
            Scale::Log2 {
                floor: (min as f64).log2().floor() - 1.0,
            }
        } else {
            Scale::Linear(ByteUnit::for_max(max as f64))
        }
    }

    /// Where the bars start: the x axis.
    pub(super) fn base(self) -> f64 {
        match self {
            Scale::Linear(_) => 0.0,
            Scale::Log2 { floor } => floor,
        }
    }

    pub(super) fn y(self, bytes: u64) -> f64 {
        match self {
            Scale::Linear(u) => bytes as f64 / u.bytes,
            Scale::Log2 { floor } if bytes == 0 => floor,
            Scale::Log2 { floor } => (bytes as f64).log2().max(floor),
        }
    }

    /// The top of the axis: `room_px` above the highest bar (for its label) of a plot
    /// `plot_px` high.
    pub(super) fn top(self, max: u64, plot_px: i32, room_px: i32) -> f64 {
        let (base, y) = (self.base(), self.y(max));
        if y <= base {
            return base + 1.0;
        }
        let usable = (plot_px - room_px).max(plot_px / 2).max(1);
        base + (y - base) * plot_px.max(1) as f64 / usable as f64
    }

    /// Tick spacing in axis units: a round number of units, or of doublings.
    pub(super) fn step(self, top: f64) -> f64 {
        let range = top - self.base();
        match self {
            Scale::Linear(_) => nice_step(range / 8.0),
            // Denser than a linear axis: every doubling or every other one ("1 KiB", "4 KiB").
            Scale::Log2 { .. } => nice_step(range / 10.0).max(1.0),
        }
    }

    pub(super) fn tick(self, v: f64, step: f64) -> String {
        match self {
            Scale::Linear(_) => tick(v, step),
            Scale::Log2 { .. } => {
                let bytes = v.exp2();
                let unit = ByteUnit::for_max(bytes);
                format!("{} {}", trim(bytes / unit.bytes), unit.name)
            }
        }
    }

    pub(super) fn desc(self, what: &str) -> String {
        match self {
            Scale::Linear(u) => format!("{what} ({})", u.name),
            Scale::Log2 { .. } => format!("{what} (log scale)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panel_spanning_more_than_100x_gets_a_log_axis() {
        let linear = Scale::for_bytes([16 << 20, 45 << 20].into_iter());
        assert_eq!(
            linear,
            Scale::Linear(ByteUnit::for_max((45u64 << 20) as f64))
        );
        // Zeros do not count towards the span: nothing to draw on either axis.
        let still = Scale::for_bytes([0, 16 << 20, 20 << 20].into_iter());
        assert!(matches!(still, Scale::Linear(_)));
        let log = Scale::for_bytes([0, 4096, 16 << 20].into_iter());
        assert_eq!(log, Scale::Log2 { floor: 11.0 });
        assert_eq!(log.y(0), 11.0);
        assert_eq!(log.y(4096), 12.0);
        assert_eq!(log.tick(20.0, 2.0), "1 MiB");
        assert_eq!(log.tick(12.0, 2.0), "4 KiB");
        assert_eq!(log.desc("per worker"), "per worker (log scale)");
        assert_eq!(linear.desc("per worker"), "per worker (MiB)");
    }
}
