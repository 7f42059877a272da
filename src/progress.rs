//! How far a long operation has got (replay, verify, export, import-log, catalogue imports),
//! reported to a callback so the binary can draw a progress bar; the library draws nothing.

/// Events (or records) done so far, and the total when the operation knows it up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
}

/// How often a long loop reports: often enough for a smooth bar, rarely enough to cost
/// nothing measurable.
pub const EVERY: u64 = 1024;

/// Calls `report` every [`EVERY`] items and at the last one.
pub fn tick(report: &mut dyn FnMut(Progress), done: u64, total: Option<u64>) {
    if done.is_multiple_of(EVERY) || total == Some(done) {
        report(Progress { done, total });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bar moves every EVERY items and always reaches the end, whatever the total.
    #[test]
    fn ticks_come_every_block_and_at_the_end() {
        let mut seen = vec![];
        let total = Some(EVERY * 2 + 5);
        for done in 1..=EVERY * 2 + 5 {
            tick(&mut |p| seen.push(p.done), done, total);
        }
        assert_eq!(seen, vec![EVERY, EVERY * 2, EVERY * 2 + 5]);
    }
}
