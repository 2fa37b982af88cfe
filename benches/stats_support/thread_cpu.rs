//! CPU time of the calling thread, for benchmarks on a shared machine: unlike wall time it
//! does not count the time other processes hold the CPU.

use std::time::Duration;

/// Time the calling thread has spent on a CPU (`CLOCK_THREAD_CPUTIME_ID`, nanosecond
/// resolution). `None` if the clock cannot be read.
pub fn thread_cpu_time() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the call only writes into it.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if status != 0 {
        return None;
    }
    let secs = u64::try_from(now.tv_sec).ok()?;
    let nanos = u32::try_from(now.tv_nsec).ok()?;
    Some(Duration::new(secs, nanos))
}

/// CPU time of `work` on this thread (wall time where CPU time is not available).
pub fn cpu_time_of(work: impl FnOnce()) -> Duration {
    let wall = std::time::Instant::now();
    let before = thread_cpu_time();
    work();
    match (before, thread_cpu_time()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => wall.elapsed(),
    }
}
