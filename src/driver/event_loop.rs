//! Hangar's own libvirt event loop implementation (`virEventRegisterImpl`): file-descriptor
//! watches and timers, dispatched with poll(2) on the driver's event thread and nowhere else.
//!
//! Why not `virEventRegisterDefaultImpl`: since libvirt 6 the default loop is built on GLib's
//! *default* main context. GTK's main thread owns that context for the application's whole life
//! (`g_application_run` acquires it), so every libvirt watch and timer — remote sockets,
//! keepalives, event callbacks — ran on the GTK thread, and the event thread waited forever for a
//! context it could never acquire. With a remote host without bulk statistics that cost the GTK
//! thread ~15% of a core in wake-ups alone, and it put libvirt I/O on the thread that must never
//! block.
//!
//! Contract with libvirt (as its own poll loop implemented it): callbacks run without our lock
//! held, so they may add, update or remove watches and timers; a removed watch or timer is never
//! dispatched again, and its free function runs later from the loop, never inside the remove
//! call; a timer with interval 0 fires on every iteration, -1 disables it.

use std::ffi::{c_int, c_void};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use virt::sys;

struct Watch {
    id: c_int,
    fd: c_int,
    /// libvirt's `VIR_EVENT_HANDLE_*` flags asked for (0: the watch is paused).
    events: c_int,
    callback: sys::virEventHandleCallback,
    opaque: *mut c_void,
    free: sys::virFreeCallback,
    removed: bool,
}

struct Timer {
    id: c_int,
    /// Milliseconds between firings; negative: disabled.
    interval_ms: c_int,
    due: Instant,
    callback: sys::virEventTimeoutCallback,
    opaque: *mut c_void,
    free: sys::virFreeCallback,
    removed: bool,
}

#[derive(Default)]
struct Registry {
    watches: Vec<Watch>,
    timers: Vec<Timer>,
    last_watch_id: c_int,
    last_timer_id: c_int,
}

// SAFETY: the raw pointers are libvirt's opaque callback data, which libvirt hands to whichever
// thread runs its event loop; we only pass them back to libvirt's callbacks.
unsafe impl Send for Registry {}

struct Shared {
    registry: Mutex<Registry>,
    /// An eventfd that interrupts poll(2) when another thread changes the registry.
    wake_fd: c_int,
}

static SHARED: OnceLock<Option<Shared>> = OnceLock::new();

fn shared() -> Option<&'static Shared> {
    SHARED
        .get_or_init(|| {
            // SAFETY: plain syscall; the descriptor is owned by `Shared` for the process's life.
            let wake_fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
            (wake_fd >= 0).then(|| Shared {
                registry: Mutex::new(Registry::default()),
                wake_fd,
            })
        })
        .as_ref()
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock cannot leave the lists half-edited (every edit is one
        // push or one field write), so a poisoned lock is still usable.
        self.registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64 to our eventfd; failure (counter full) means
        // a wake-up is already pending, which is all we want.
        unsafe { libc::write(self.wake_fd, (&one as *const u64).cast(), 8) };
    }
}

/// Installs this implementation as libvirt's event loop. Must run before any connection opens;
/// then a thread calls [`run_once`] forever.
pub(crate) fn register() -> Result<(), String> {
    if shared().is_none() {
        return Err(std::io::Error::last_os_error().to_string());
    }
    // SAFETY: the six functions below have the signatures libvirt declares for them.
    unsafe {
        sys::virEventRegisterImpl(
            Some(add_handle),
            Some(update_handle),
            Some(remove_handle),
            Some(add_timeout),
            Some(update_timeout),
            Some(remove_timeout),
        );
    }
    Ok(())
}

fn to_poll(events: c_int) -> libc::c_short {
    let events = events as u32;
    let mut poll = 0;
    if events & sys::VIR_EVENT_HANDLE_READABLE != 0 {
        poll |= libc::POLLIN;
    }
    if events & sys::VIR_EVENT_HANDLE_WRITABLE != 0 {
        poll |= libc::POLLOUT;
    }
    poll
}

fn from_poll(revents: libc::c_short) -> c_int {
    let mut events = 0;
    if revents & libc::POLLIN != 0 {
        events |= sys::VIR_EVENT_HANDLE_READABLE;
    }
    if revents & libc::POLLOUT != 0 {
        events |= sys::VIR_EVENT_HANDLE_WRITABLE;
    }
    if revents & (libc::POLLERR | libc::POLLNVAL) != 0 {
        events |= sys::VIR_EVENT_HANDLE_ERROR;
    }
    if revents & libc::POLLHUP != 0 {
        events |= sys::VIR_EVENT_HANDLE_HANGUP;
    }
    events as c_int
}

unsafe extern "C" fn add_handle(
    fd: c_int,
    events: c_int,
    callback: sys::virEventHandleCallback,
    opaque: *mut c_void,
    free: sys::virFreeCallback,
) -> c_int {
    let Some(shared) = shared() else { return -1 };
    let id = {
        let mut registry = shared.lock();
        registry.last_watch_id += 1;
        let id = registry.last_watch_id;
        registry.watches.push(Watch {
            id,
            fd,
            events,
            callback,
            opaque,
            free,
            removed: false,
        });
        id
    };
    shared.wake();
    id
}

unsafe extern "C" fn update_handle(watch: c_int, events: c_int) {
    let Some(shared) = shared() else { return };
    if let Some(entry) = find_live(&mut shared.lock().watches, watch) {
        entry.events = events;
    }
    shared.wake();
}

unsafe extern "C" fn remove_handle(watch: c_int) -> c_int {
    let Some(shared) = shared() else { return -1 };
    let found = mark_removed(&mut shared.lock().watches, watch);
    shared.wake();
    if found { 0 } else { -1 }
}

unsafe extern "C" fn add_timeout(
    interval_ms: c_int,
    callback: sys::virEventTimeoutCallback,
    opaque: *mut c_void,
    free: sys::virFreeCallback,
) -> c_int {
    let Some(shared) = shared() else { return -1 };
    let id = {
        let mut registry = shared.lock();
        registry.last_timer_id += 1;
        let id = registry.last_timer_id;
        registry.timers.push(Timer {
            id,
            interval_ms,
            due: due_after(interval_ms),
            callback,
            opaque,
            free,
            removed: false,
        });
        id
    };
    shared.wake();
    id
}

unsafe extern "C" fn update_timeout(timer: c_int, interval_ms: c_int) {
    let Some(shared) = shared() else { return };
    if let Some(entry) = find_live(&mut shared.lock().timers, timer) {
        entry.interval_ms = interval_ms;
        entry.due = due_after(interval_ms);
    }
    shared.wake();
}

unsafe extern "C" fn remove_timeout(timer: c_int) -> c_int {
    let Some(shared) = shared() else { return -1 };
    let found = mark_removed(&mut shared.lock().timers, timer);
    shared.wake();
    if found { 0 } else { -1 }
}

/// A watch or a timer, as far as finding and removing it is concerned.
trait Entry {
    fn id(&self) -> c_int;
    fn removed(&mut self) -> &mut bool;
    fn is_removed(&self) -> bool;
}

impl Entry for Watch {
    fn id(&self) -> c_int {
        self.id
    }
    fn is_removed(&self) -> bool {
        self.removed
    }
    fn removed(&mut self) -> &mut bool {
        &mut self.removed
    }
}

impl Entry for Timer {
    fn id(&self) -> c_int {
        self.id
    }
    fn is_removed(&self) -> bool {
        self.removed
    }
    fn removed(&mut self) -> &mut bool {
        &mut self.removed
    }
}

/// The entry `id`, unless it was removed.
fn find_live<E: Entry>(entries: &mut [E], id: c_int) -> Option<&mut E> {
    entries
        .iter_mut()
        .find(|entry| entry.id() == id)
        .filter(|entry| !entry.is_removed())
}

/// Marks the live entry `id` removed (its free function runs later, from the loop); false if
/// there is none.
fn mark_removed(entries: &mut [impl Entry], id: c_int) -> bool {
    find_live(entries, id)
        .map(|entry| *entry.removed() = true)
        .is_some()
}

fn due_after(interval_ms: c_int) -> Instant {
    Instant::now() + Duration::from_millis(interval_ms.max(0) as u64)
}

/// What one iteration polls, taken from the registry under the lock.
struct Plan {
    poll_fds: Vec<libc::pollfd>,
    /// The watch id of each entry of `poll_fds` after the first (the wake-up eventfd).
    watch_ids: Vec<c_int>,
    timeout_ms: c_int,
    /// Free functions of removed entries, run after the lock is released.
    frees: Vec<(sys::virFreeCallback, *mut c_void)>,
}

fn plan(shared: &Shared) -> Plan {
    let mut registry = shared.lock();
    let mut frees = Vec::new();
    registry.watches.retain(|entry| {
        if entry.removed {
            frees.push((entry.free, entry.opaque));
        }
        !entry.removed
    });
    registry.timers.retain(|entry| {
        if entry.removed {
            frees.push((entry.free, entry.opaque));
        }
        !entry.removed
    });
    let mut poll_fds = vec![libc::pollfd {
        fd: shared.wake_fd,
        events: libc::POLLIN,
        revents: 0,
    }];
    let mut watch_ids = Vec::new();
    for entry in registry.watches.iter().filter(|entry| entry.events != 0) {
        poll_fds.push(libc::pollfd {
            fd: entry.fd,
            events: to_poll(entry.events),
            revents: 0,
        });
        watch_ids.push(entry.id);
    }
    let now = Instant::now();
    let timeout_ms = registry
        .timers
        .iter()
        .filter(|entry| entry.interval_ms >= 0)
        .map(|entry| entry.due.saturating_duration_since(now))
        .min()
        .map_or(-1, |wait| {
            // Round up, or a timer due in 0.4 ms makes poll return at once, again and again.
            wait.as_micros().div_ceil(1000).min(c_int::MAX as u128) as c_int
        });
    Plan {
        poll_fds,
        watch_ids,
        timeout_ms,
        frees,
    }
}

/// One iteration: wait for a watched descriptor, a due timer or a registry change, then run the
/// callbacks that are due. Called in a loop by the event thread.
pub(crate) fn run_once() {
    let Some(shared) = shared() else { return };
    let mut plan = plan(shared);
    for (free, opaque) in plan.frees.drain(..) {
        if let Some(free) = free {
            // SAFETY: libvirt's free function for this watch's or timer's data, called once,
            // after its entry left the registry so it can never be dispatched again.
            unsafe { free(opaque) };
        }
    }
    // SAFETY: `poll_fds` is a valid, exclusively borrowed array of its length.
    let ready = unsafe {
        libc::poll(
            plan.poll_fds.as_mut_ptr(),
            plan.poll_fds.len() as libc::nfds_t,
            plan.timeout_ms,
        )
    };
    if ready < 0 {
        return; // EINTR; anything else shows up again on the next iteration's plan
    }
    if plan.poll_fds[0].revents != 0 {
        let mut counter: u64 = 0;
        // SAFETY: reads 8 bytes into a valid u64 from our non-blocking eventfd.
        unsafe { libc::read(shared.wake_fd, (&mut counter as *mut u64).cast(), 8) };
    }
    dispatch_timers(shared);
    for (poll_fd, watch) in plan.poll_fds[1..].iter().zip(&plan.watch_ids) {
        if poll_fd.revents == 0 {
            continue;
        }
        let due = shared
            .lock()
            .watches
            .iter()
            .find(|entry| entry.id == *watch && !entry.removed && entry.events != 0)
            .map(|entry| (entry.callback, entry.fd, entry.opaque));
        if let Some((Some(callback), fd, opaque)) = due {
            // SAFETY: libvirt's callback with the data it registered; the entry is still
            // registered, so libvirt has not freed `opaque`.
            unsafe { callback(*watch, fd, from_poll(poll_fd.revents), opaque) };
        }
    }
}

fn dispatch_timers(shared: &Shared) {
    let now = Instant::now();
    let due: Vec<c_int> = shared
        .lock()
        .timers
        .iter()
        .filter(|entry| !entry.removed && entry.interval_ms >= 0 && entry.due <= now)
        .map(|entry| entry.id)
        .collect();
    for timer in due {
        let fire = {
            let mut registry = shared.lock();
            registry
                .timers
                .iter_mut()
                .find(|entry| entry.id == timer && !entry.removed && entry.interval_ms >= 0)
                .map(|entry| {
                    entry.due = now + Duration::from_millis(entry.interval_ms as u64);
                    (entry.callback, entry.opaque)
                })
        };
        if let Some((Some(callback), opaque)) = fire {
            // SAFETY: as for watches: the timer is still registered, `opaque` is alive.
            unsafe { callback(timer, opaque) };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Sender, channel};

    use super::*;

    /// What a test callback reports: the thread it ran on, or that its data was freed.
    #[derive(Debug, PartialEq)]
    enum Seen {
        Fired {
            thread: Option<String>,
            events: c_int,
        },
        Freed,
    }

    fn thread_name() -> Option<String> {
        std::thread::current().name().map(str::to_owned)
    }

    unsafe extern "C" fn on_timer(_timer: c_int, opaque: *mut c_void) {
        // SAFETY: the test registered a `Sender<Seen>` box as the data.
        let sender = unsafe { &*opaque.cast::<Sender<Seen>>() };
        let _ = sender.send(Seen::Fired {
            thread: thread_name(),
            events: 0,
        });
    }

    unsafe extern "C" fn on_watch(_watch: c_int, fd: c_int, events: c_int, opaque: *mut c_void) {
        let mut byte = 0u8;
        // SAFETY: drains the byte the test wrote, so the pipe stops being readable.
        unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) };
        // SAFETY: the test registered a `Sender<Seen>` box as the data.
        let sender = unsafe { &*opaque.cast::<Sender<Seen>>() };
        let _ = sender.send(Seen::Fired {
            thread: thread_name(),
            events,
        });
    }

    unsafe extern "C" fn free_sender(opaque: *mut c_void) {
        // SAFETY: the box the test leaked into libvirt; freed exactly once, here.
        let sender = unsafe { Box::from_raw(opaque.cast::<Sender<Seen>>()) };
        let _ = sender.send(Seen::Freed);
    }

    const WAIT: Duration = Duration::from_secs(10);
    const EVENT_THREAD: &str = "hangar-libvirt-events";

    #[test]
    fn timers_fire_on_the_event_thread_and_are_freed_after_removal() {
        crate::driver::events::ensure_event_loop().expect("event loop");
        let (sender, seen) = channel();
        let data = Box::into_raw(Box::new(sender)).cast::<c_void>();
        // SAFETY: public libvirt API, forwarded to our implementation; `data` lives until
        // `free_sender` runs.
        let timer = unsafe { sys::virEventAddTimeout(5, Some(on_timer), data, Some(free_sender)) };
        assert!(timer > 0);
        for _ in 0..2 {
            assert_eq!(
                seen.recv_timeout(WAIT)
                    .expect("the timer fires, repeatedly"),
                Seen::Fired {
                    thread: Some(EVENT_THREAD.into()),
                    events: 0
                }
            );
        }
        // SAFETY: the id came from virEventAddTimeout.
        assert_eq!(unsafe { sys::virEventRemoveTimeout(timer) }, 0);
        assert_eq!(
            unsafe { sys::virEventRemoveTimeout(timer) },
            -1,
            "already removed"
        );
        // Firings already queued may still arrive before the free; nothing after it.
        loop {
            match seen.recv_timeout(WAIT).expect("the data is freed") {
                Seen::Freed => break,
                Seen::Fired { .. } => continue,
            }
        }
    }

    #[test]
    fn watches_report_readable_descriptors_on_the_event_thread() {
        crate::driver::events::ensure_event_loop().expect("event loop");
        let mut fds = [0 as c_int; 2];
        // SAFETY: creates a pipe into a valid two-element array.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        let (sender, seen) = channel();
        let data = Box::into_raw(Box::new(sender)).cast::<c_void>();
        let readable = sys::VIR_EVENT_HANDLE_READABLE as c_int;
        // SAFETY: as above; the pipe outlives the watch (closed after the free arrived).
        let watch = unsafe {
            sys::virEventAddHandle(fds[0], readable, Some(on_watch), data, Some(free_sender))
        };
        assert!(watch > 0);
        // SAFETY: writes one byte from a valid buffer to the pipe.
        assert_eq!(unsafe { libc::write(fds[1], b"x".as_ptr().cast(), 1) }, 1);
        assert_eq!(
            seen.recv_timeout(WAIT).expect("the watch fires"),
            Seen::Fired {
                thread: Some(EVENT_THREAD.into()),
                events: readable
            }
        );
        // SAFETY: the id came from virEventAddHandle.
        assert_eq!(unsafe { sys::virEventRemoveHandle(watch) }, 0);
        assert_eq!(seen.recv_timeout(WAIT), Ok(Seen::Freed));
        // SAFETY: our own descriptors, no longer watched.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
    }
}
