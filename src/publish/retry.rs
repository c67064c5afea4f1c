//! [`RetryPolicy`]: bounded attempts, exponential backoff with full jitter, and `Retry-After`.

use std::time::Duration;

/// How often and how long to retry a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests in all, first one included (0 is treated as 1).
    pub max_attempts: u32,
    /// The backoff ceiling before the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// Cap on a backoff and on an honoured `Retry-After`.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// The ceiling of the wait before retry number `retry` (1 for the first retry):
    /// `min(max_delay, base_delay * 2^(retry-1))`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max_delay)
    }

    /// "Full jitter": a uniformly random wait in `[0, ceiling(retry)]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        Duration::try_from_secs_f64(ceiling.as_secs_f64() * fastrand::f64()).unwrap_or(ceiling)
    }

    /// What to wait before retry number `retry`, given the server's `Retry-After` (if any):
    /// `Some(retry_after)` when it is at most `max_delay`, `None` (stop retrying) when it is
    /// longer, and the jittered backoff when there is none.
    pub fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(d) if d > self.max_delay => None,
            Some(d) => Some(d),
            None => Some(self.backoff(retry)),
        }
    }
}

/// A `Retry-After` value in delay-seconds (`"120"`, or fractional `"0.5"`). HTTP dates are
/// not understood and give `None` (the backoff is used instead).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    if (0.0..1.0e9).contains(&secs) {
        Some(Duration::from_secs_f64(secs))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        }
    }

    #[test]
    fn exponential_ceiling_is_capped() {
        let p = policy();
        assert_eq!(p.ceiling(1), Duration::from_millis(100));
        assert_eq!(p.ceiling(2), Duration::from_millis(200));
        assert_eq!(p.ceiling(4), Duration::from_millis(800));
        assert_eq!(p.ceiling(5), Duration::from_secs(1));
        assert_eq!(p.ceiling(200), Duration::from_secs(1));
        assert_eq!(p.ceiling(0), Duration::from_millis(100));
        for retry in 1..10 {
            assert!(p.backoff(retry) <= p.ceiling(retry));
        }
        let huge = RetryPolicy {
            max_delay: Duration::MAX,
            base_delay: Duration::MAX,
            ..p
        };
        assert!(huge.backoff(3) <= Duration::MAX);
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let p = policy();
        assert_eq!(
            p.wait(1, Some(Duration::from_millis(700))),
            Some(Duration::from_millis(700))
        );
        assert_eq!(p.wait(1, Some(Duration::from_secs(5))), None);
        assert!(p.wait(1, None).is_some());
    }

    #[test]
    fn parses_retry_after() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("1e300"), None);
    }
}
