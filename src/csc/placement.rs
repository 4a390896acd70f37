//! Where an async caller's signHash work runs: on the runtime worker that read the request
//! ("inline"), or queued for the HSM threads ([`super::hsm_threads`]). Deciding needs only the
//! time the work has been taking, which the caller measures with a [`Stopwatch`] and reports
//! here; running it is the caller's job.
//!
//! Why both: a hand-off to another thread and back costs two thread wake-ups per call. With a
//! token that signs on this machine's CPU in about a millisecond (SoftHSM2, RSA-2048: 1.1 ms
//! here) that was a fifth of a signature's CPU again, and the server reached 72–75 % of the
//! token's raw signing rate with one hash per call; signing on the worker itself reached
//! 79–85 % (`benches/csc_sign_hash.rs`). But a worker that signs is not serving other
//! requests meanwhile, so only calls expected to compute for at most the limit given to
//! [`Placement::new`] run inline: a slow or remote HSM, or a large batch, goes to the HSM threads and leaves the
//! workers free. Under a flood of short calls the other requests then wait their turn among
//! them, as long as a signHash call waits; a zero limit puts them first instead.
//!
//! Each call is timed twice: the CPU time of the thread doing the work, and the wall time.
//! The CPU time says how long a worker computes; the wall time says whether the call mostly
//! waited (a network HSM: milliseconds of wall time for microseconds of CPU), and a worker
//! must never sit waiting on a device. Wall time alone would not do: with more runnable
//! threads than cores, a 1 ms signature can take 3 ms of wall time, waiting for a core like
//! every other thread.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How much CPU time one call may take on a runtime worker by default (one RSA-2048 or
/// ECDSA signature in a software token, with room to spare).
pub const DEFAULT_INLINE_LIMIT: Duration = Duration::from_millis(2);

/// A call whose wall time is more than this many times its CPU time mostly waited; calls run
/// inline only while at most half of the recent ones did.
const MOSTLY_WAITING: u64 = 4;

/// A whole share, in thousandths.
const WHOLE: u64 = 1000;

/// No measurement yet: the first calls go to the HSM threads, which measure them.
const UNKNOWN: u64 = u64::MAX;

/// The decision, from the calls made so far: their mean CPU time per hash, and how many of
/// them mostly waited.
#[derive(Debug)]
pub struct Placement {
    limit: Duration,
    /// Mean CPU time per hash of a call's work (credential read, SAD, signatures), in
    /// nanoseconds, or [`UNKNOWN`].
    cpu_per_hash: AtomicU64,
    /// The share of recent calls that mostly waited (wall time over [`MOSTLY_WAITING`]
    /// times the CPU time), in thousandths, or [`UNKNOWN`]. A share, not a mean of wall
    /// times, so that one slow call (the first, opening sessions and connections) weighs
    /// as one call.
    waiting_share: AtomicU64,
    /// Calls observed so far.
    calls: AtomicU64,
}

/// The wall clock and the calling thread's CPU clock at the start of a call.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    wall: Instant,
    cpu: Option<Duration>,
}

impl Stopwatch {
    /// Starts on the calling thread; the call must end on the same thread.
    pub fn start() -> Stopwatch {
        Stopwatch {
            wall: Instant::now(),
            cpu: thread_cpu_time(),
        }
    }

    /// (wall, CPU) time since the start; the CPU time is the wall time when the system has
    /// no per-thread CPU clock.
    fn elapsed(&self) -> (Duration, Duration) {
        let wall = self.wall.elapsed();
        let cpu = match (self.cpu, thread_cpu_time()) {
            (Some(start), Some(end)) => end.saturating_sub(start).min(wall),
            _ => wall,
        };
        (wall, cpu)
    }
}

/// The calling thread's CPU time (user + system), from `CLOCK_THREAD_CPUTIME_ID`.
fn thread_cpu_time() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the duration of the call.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status != 0 {
        return None;
    }
    Some(Duration::new(
        u64::try_from(now.tv_sec).ok()?,
        u32::try_from(now.tv_nsec).ok()?,
    ))
}

impl Placement {
    /// Calls expected to compute for at most `limit` run inline; `Duration::ZERO` sends every
    /// call to the HSM threads.
    pub fn new(limit: Duration) -> Placement {
        Placement {
            limit,
            cpu_per_hash: AtomicU64::new(UNKNOWN),
            waiting_share: AtomicU64::new(UNKNOWN),
            calls: AtomicU64::new(0),
        }
    }

    /// Whether a call signing `hashes` hashes should run on the worker that read it: the
    /// calls so far computed for at most the limit in all, and did not mostly wait.
    pub fn inline(&self, hashes: usize) -> bool {
        let cpu = self.cpu_per_hash.load(Ordering::Relaxed);
        let waiting = self.waiting_share.load(Ordering::Relaxed);
        if cpu == UNKNOWN || waiting == UNKNOWN || hashes == 0 {
            return false;
        }
        let computing = u128::from(cpu) * hashes as u128 <= self.limit.as_nanos();
        computing && waiting <= WHOLE / 2
    }

    /// Records a call signing `hashes` hashes, timed from `started` to now on the thread
    /// that did the work, wherever it ran. The first calls are averaged alike, so that the
    /// first one (sessions and connections opened, caches filled) does not linger; from the
    /// eighth on, the means follow the latest calls (each weighs 1/8), so a token that slows
    /// down moves the work off the workers within a few calls, and back when it recovers.
    pub fn observe(&self, hashes: usize, started: Stopwatch) {
        let (wall, cpu) = started.elapsed();
        self.record(hashes, wall, cpu);
    }

    fn record(&self, hashes: usize, wall: Duration, cpu: Duration) {
        if hashes == 0 {
            return;
        }
        let calls = self.calls.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        let weight = calls.min(FOLLOW);
        follow(&self.cpu_per_hash, per_hash(cpu, hashes), weight);
        let waited = wall.as_nanos() > cpu.as_nanos() * u128::from(MOSTLY_WAITING);
        follow(&self.waiting_share, if waited { WHOLE } else { 0 }, weight);
    }
}

fn per_hash(took: Duration, hashes: usize) -> u64 {
    u64::try_from(took.as_nanos() / hashes as u128).unwrap_or(UNKNOWN - 1)
}

/// The running means weigh a new call 1/8 once that many have been seen.
const FOLLOW: u64 = 8;

/// Moves the running mean in `mean` 1/`weight` of the way to `sample` (to `sample` itself
/// the first time). Concurrent updates may lose one another's sample; the mean stays a mean
/// of samples.
fn follow(mean: &AtomicU64, sample: u64, weight: u64) {
    let old = mean.load(Ordering::Relaxed);
    let new = if old == UNKNOWN {
        sample
    } else {
        let old = i128::from(old);
        let step = (i128::from(sample) - old) / i128::from(weight.max(1));
        u64::try_from(old + step).unwrap_or(UNKNOWN - 1)
    };
    mean.store(new.min(UNKNOWN - 1), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A call that computed for all of its time.
    fn computed(placement: &Placement, hashes: usize, took: Duration) {
        placement.record(hashes, took, took);
    }

    #[test]
    fn nothing_runs_inline_before_the_first_measurement() {
        let placement = Placement::new(DEFAULT_INLINE_LIMIT);
        assert!(!placement.inline(1));
        computed(&placement, 1, MS);
        assert!(placement.inline(1));
    }

    #[test]
    fn a_batch_that_would_compute_past_the_limit_goes_to_the_threads() {
        let placement = Placement::new(2 * MS);
        computed(&placement, 10, 11 * MS);
        assert!(placement.inline(1));
        assert!(!placement.inline(2), "2 × 1.1 ms is over 2 ms");
        assert!(!placement.inline(10));
        assert!(!placement.inline(0));
    }

    #[test]
    fn a_token_that_slows_down_leaves_the_workers_and_comes_back_when_it_recovers() {
        let placement = Placement::new(2 * MS);
        computed(&placement, 1, MS);
        assert!(placement.inline(1));
        let mut calls = 0;
        while placement.inline(1) {
            computed(&placement, 1, 50 * MS);
            calls += 1;
        }
        assert!(
            calls <= 2,
            "a 50 ms token left the workers after {calls} calls"
        );
        let mut calls = 0;
        while !placement.inline(1) {
            computed(&placement, 1, MS);
            calls += 1;
            assert!(calls < 100, "never came back");
        }
        assert!(calls > 10, "one fast call must not bring it back ({calls})");
    }

    #[test]
    fn a_call_that_mostly_waits_goes_to_the_threads_however_short() {
        let placement = Placement::new(2 * MS);
        // A network HSM: 1.5 ms of wall time, 50 µs of CPU.
        for _ in 0..20 {
            placement.record(1, Duration::from_micros(1500), Duration::from_micros(50));
        }
        assert!(!placement.inline(1));
        // A software token on a busy machine: 3 ms of wall time for 1 ms of CPU.
        let busy = Placement::new(2 * MS);
        for _ in 0..20 {
            busy.record(1, 3 * MS, MS);
        }
        assert!(busy.inline(1));
    }

    #[test]
    fn a_slow_first_call_does_not_linger() {
        let placement = Placement::new(2 * MS);
        // Opening sessions and connections: 30 ms of waiting, 3 ms of CPU.
        placement.record(1, 30 * MS, 3 * MS);
        assert!(!placement.inline(1));
        for _ in 0..2 {
            computed(&placement, 1, MS);
        }
        assert!(placement.inline(1), "{placement:?}");
    }

    #[test]
    fn a_zero_limit_never_runs_inline() {
        let placement = Placement::new(Duration::ZERO);
        computed(&placement, 1, Duration::from_micros(1));
        assert!(!placement.inline(1));
    }

    #[test]
    fn absurd_durations_do_not_overflow() {
        let placement = Placement::new(DEFAULT_INLINE_LIMIT);
        computed(&placement, 1, Duration::MAX);
        assert!(!placement.inline(1));
        computed(&placement, usize::MAX, Duration::from_secs(1));
        computed(&placement, 1, Duration::ZERO);
        assert!(!placement.inline(usize::MAX));
    }

    #[test]
    fn the_stopwatch_counts_this_threads_cpu_time() {
        let started = Stopwatch::start();
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(20) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        std::thread::sleep(Duration::from_millis(20));
        let (wall, cpu) = started.elapsed();
        assert!(wall >= Duration::from_millis(40), "{wall:?}");
        assert!(cpu <= wall, "{cpu:?} > {wall:?}");
        assert!(
            cpu < wall - Duration::from_millis(10),
            "the sleep is not CPU time: {cpu:?}"
        );
    }
}
