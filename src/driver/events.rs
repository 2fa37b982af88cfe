//! The libvirt event loop thread, and the raw callbacks libvirt runs on it: domain lifecycle
//! events (`virConnectDomainEventRegisterAny`) and connection close notices
//! (`virConnectRegisterCloseCallback`), neither of which virt 0.5 wraps.
//!
//! # Safety argument
//! * **Event loop.** Our own implementation (`event_loop.rs`, not libvirt's default, which would
//!   run on GTK's main context) is registered once per process (a `OnceLock`), on the thread
//!   that then runs its iterations forever; it is registered before
//!   `Driver::new` returns, so before any connection opens (libvirt requires that for remote
//!   keepalive and events).
//! * **Lifecycle callbacks.** The per-registration data (`LifecycleSink`) is a `Box` handed to
//!   libvirt together with a free function; from that moment libvirt owns it: it calls the
//!   free function exactly once, after the last invocation of the callback has returned (when
//!   we deregister while an event is being dispatched, libvirt marks the callback deleted and
//!   frees it after the dispatch). On a failed registration libvirt does not call the free
//!   function (its error paths pass `doFreeCb = false`), so we free the box ourselves. Every
//!   registered callback holds a reference on the connection inside libvirt, so
//!   `LifecycleRegistration::drop` always deregisters — otherwise the connection (and its
//!   socket) would never be disposed. Deregistering removes the local callback first even when
//!   the RPC to a dead daemon fails, so nothing leaks and nothing fires afterwards.
//! * **Close callbacks.** Drivers without close-callback support (e.g. `test:///`) accept the
//!   registration but never call the free function, so here *we* keep ownership: the sink is
//!   freed in `CloseRegistration::drop`, after `virConnectUnregisterCloseCallback` returned.
//!   Libvirt runs the callback under the same lock that unregistering takes, and resets the
//!   registration after the callback has run once, so once unregister returns (successfully,
//!   or with "a different callback was requested" because it already fired) the callback can
//!   neither be running nor run again. Each registration keeps its own `Connect` reference, so
//!   the connection pointer is valid for the whole time.
//! * Callbacks run on the event loop thread and must not block it: they only build a typed
//!   value and hand it to a closure that sends it on an unbounded channel. No panic crosses the
//!   C boundary (`catch_unwind`).

use std::ffi::{CStr, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use virt::connect::Connect;
use virt::error::Error;
use virt::sys;

use crate::driver::event_loop;
use crate::driver::update::{LifecycleEvent, LifecycleKind};
use crate::model::DomainUuid;

static EVENT_LOOP: OnceLock<Result<(), String>> = OnceLock::new();

/// Callback data blocks currently allocated (lifecycle and close); tests check it returns to
/// its starting value, i.e. nothing leaks.
static LIVE_SINKS: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn live_callbacks() -> usize {
    LIVE_SINKS.load(Ordering::SeqCst)
}

/// Starts the process-wide libvirt event loop thread once; later calls return the first
/// outcome. Blocks only until the loop is registered (no I/O).
pub(crate) fn ensure_event_loop() -> Result<(), String> {
    EVENT_LOOP
        .get_or_init(|| {
            let (registered_tx, registered_rx) = std::sync::mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name("hangar-libvirt-events".into())
                .spawn(move || run_event_loop(registered_tx));
            match spawned {
                Ok(_) => registered_rx
                    .recv()
                    .unwrap_or_else(|_| Err("the libvirt event thread ended".into())),
                Err(error) => Err(error.to_string()),
            }
        })
        .clone()
}

fn run_event_loop(registered: std::sync::mpsc::Sender<Result<(), String>>) {
    // Libvirt's default error handler prints every error to stderr, including expected ones
    // (a missing title, a probe of an unsupported call); errors reach users through DriverError.
    virt::error::clear_error_callback();
    // SAFETY: virInitialize takes no arguments and is safe to call more than once.
    let initialized = unsafe { sys::virInitialize() } >= 0;
    let outcome = if initialized {
        event_loop::register()
    } else {
        Err(Error::last_error().message().to_owned())
    };
    let ok = outcome.is_ok();
    let _ = registered.send(outcome);
    if !ok {
        return;
    }
    loop {
        event_loop::run_once();
    }
}

/// Receives lifecycle events on the event loop thread; must return quickly.
pub(crate) type LifecycleHandler = Arc<dyn Fn(LifecycleEvent) + Send + Sync>;

struct LifecycleSink {
    handler: LifecycleHandler,
}

/// A registered lifecycle callback; deregistered on drop.
pub(crate) struct LifecycleRegistration {
    conn: Connect,
    callback_id: c_int,
}

impl LifecycleRegistration {
    pub(crate) fn register(conn: &Connect, handler: LifecycleHandler) -> Result<Self, Error> {
        let sink = Box::into_raw(Box::new(LifecycleSink { handler }));
        LIVE_SINKS.fetch_add(1, Ordering::SeqCst);
        let callback: sys::virConnectDomainEventCallback = Some(lifecycle_trampoline);
        // SAFETY: libvirt's public API takes every event callback as the generic type and
        // casts it back by event id (its VIR_DOMAIN_EVENT_CALLBACK macro does this cast); for
        // VIR_DOMAIN_EVENT_ID_LIFECYCLE it calls the lifecycle signature defined below.
        let generic: sys::virConnectDomainEventGenericCallback =
            unsafe { std::mem::transmute(callback) };
        // SAFETY: `conn` is a valid reference; on success libvirt owns `sink` and frees it via
        // `free_lifecycle_sink` (see the module's safety argument).
        let callback_id = unsafe {
            sys::virConnectDomainEventRegisterAny(
                conn.as_ptr(),
                ptr::null_mut(),
                sys::VIR_DOMAIN_EVENT_ID_LIFECYCLE as c_int,
                generic,
                sink.cast::<c_void>(),
                Some(free_lifecycle_sink),
            )
        };
        if callback_id < 0 {
            let error = Error::last_error();
            // SAFETY: registration failed, so libvirt neither kept nor freed `sink`.
            drop(unsafe { Box::from_raw(sink) });
            LIVE_SINKS.fetch_sub(1, Ordering::SeqCst);
            return Err(error);
        }
        Ok(Self {
            conn: conn.clone(),
            callback_id,
        })
    }
}

impl Drop for LifecycleRegistration {
    fn drop(&mut self) {
        // SAFETY: `self.conn` keeps the connection alive; the id came from a successful
        // registration on it. A failure (dead daemon) still removes the local callback.
        let rc = unsafe {
            sys::virConnectDomainEventDeregisterAny(self.conn.as_ptr(), self.callback_id)
        };
        if rc < 0 {
            log::debug!(
                "deregistering lifecycle callback {}: {}",
                self.callback_id,
                Error::last_error().message()
            );
        }
    }
}

unsafe extern "C" fn lifecycle_trampoline(
    _conn: sys::virConnectPtr,
    domain: sys::virDomainPtr,
    event: c_int,
    detail: c_int,
    opaque: *mut c_void,
) -> c_int {
    if opaque.is_null() || domain.is_null() {
        return 0;
    }
    // SAFETY: `opaque` is the LifecycleSink registered with this callback; libvirt frees it
    // only after the last invocation returned.
    let sink = unsafe { &*opaque.cast::<LifecycleSink>() };
    let mut uuid = [0u8; 16];
    // SAFETY: `domain` is valid for the duration of the callback; the buffer is 16 bytes.
    if unsafe { sys::virDomainGetUUID(domain, uuid.as_mut_ptr()) } < 0 {
        return 0;
    }
    // SAFETY: virDomainGetName returns NULL or a string owned by `domain` (not to be freed).
    let name_ptr = unsafe { sys::virDomainGetName(domain) };
    let name = if name_ptr.is_null() {
        String::new()
    } else {
        // SAFETY: non-null, NUL-terminated, valid while `domain` is.
        unsafe { CStr::from_ptr(name_ptr) }
            .to_string_lossy()
            .into_owned()
    };
    let event = LifecycleEvent {
        domain: DomainUuid(uuid),
        name,
        kind: LifecycleKind::from_libvirt(event),
        detail,
        received_at: Instant::now(),
    };
    let _ = catch_unwind(AssertUnwindSafe(|| (sink.handler)(event)));
    0
}

unsafe extern "C" fn free_lifecycle_sink(opaque: *mut c_void) {
    if !opaque.is_null() {
        // SAFETY: `opaque` is the Box::into_raw pointer from `register`; libvirt calls this
        // exactly once.
        drop(unsafe { Box::from_raw(opaque.cast::<LifecycleSink>()) });
        LIVE_SINKS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `virConnectCloseReason` as a sentence-free enum; the caller words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    Error,
    EndOfFile,
    Keepalive,
    Client,
    Other(i32),
}

/// Receives the close notice on the event loop thread; must return quickly.
pub(crate) type CloseHandler = Box<dyn Fn(CloseReason) + Send + Sync>;

struct CloseSink {
    handler: CloseHandler,
}

/// A registered close callback; unregistered (and its data freed by us) on drop.
pub(crate) struct CloseRegistration {
    conn: Connect,
    sink: *mut CloseSink,
}

// SAFETY: the raw pointer is only dereferenced by libvirt's callback (whose handler is
// Send + Sync) and freed in Drop after unregistering; the struct itself is moved between
// threads but never shared.
unsafe impl Send for CloseRegistration {}

impl CloseRegistration {
    pub(crate) fn register(conn: &Connect, handler: CloseHandler) -> Result<Self, Error> {
        let sink = Box::into_raw(Box::new(CloseSink { handler }));
        LIVE_SINKS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: `conn` is valid; no free function is passed, so `sink` stays ours (freed in
        // Drop after unregistering, see the module's safety argument).
        let rc = unsafe {
            sys::virConnectRegisterCloseCallback(
                conn.as_ptr(),
                Some(close_trampoline),
                sink.cast::<c_void>(),
                None,
            )
        };
        if rc < 0 {
            let error = Error::last_error();
            // SAFETY: libvirt did not keep the pointer.
            drop(unsafe { Box::from_raw(sink) });
            LIVE_SINKS.fetch_sub(1, Ordering::SeqCst);
            return Err(error);
        }
        Ok(Self {
            conn: conn.clone(),
            sink,
        })
    }
}

impl Drop for CloseRegistration {
    fn drop(&mut self) {
        // SAFETY: `self.conn` is valid. After this returns the callback cannot run (see the
        // module's safety argument), whatever the return value.
        let _ = unsafe {
            sys::virConnectUnregisterCloseCallback(self.conn.as_ptr(), Some(close_trampoline))
        };
        // SAFETY: `sink` came from Box::into_raw in `register` and is freed only here.
        drop(unsafe { Box::from_raw(self.sink) });
        LIVE_SINKS.fetch_sub(1, Ordering::SeqCst);
    }
}

unsafe extern "C" fn close_trampoline(
    _conn: sys::virConnectPtr,
    reason: c_int,
    opaque: *mut c_void,
) {
    if opaque.is_null() {
        return;
    }
    // SAFETY: `opaque` is our CloseSink, alive until CloseRegistration::drop has unregistered.
    let sink = unsafe { &*opaque.cast::<CloseSink>() };
    let reason = match reason as u32 {
        sys::VIR_CONNECT_CLOSE_REASON_ERROR => CloseReason::Error,
        sys::VIR_CONNECT_CLOSE_REASON_EOF => CloseReason::EndOfFile,
        sys::VIR_CONNECT_CLOSE_REASON_KEEPALIVE => CloseReason::Keepalive,
        sys::VIR_CONNECT_CLOSE_REASON_CLIENT => CloseReason::Client,
        _ => CloseReason::Other(reason),
    };
    let _ = catch_unwind(AssertUnwindSafe(|| (sink.handler)(reason)));
}
