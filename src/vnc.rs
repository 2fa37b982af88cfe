//! GTK-free VNC console session on vnc-rs: transport, framebuffer and input mapping.
//!
//! A console is reached through a [`ConsoleTarget`] (a socket from `virDomainOpenGraphicsFD`,
//! TCP, or an SSH tunnel from an [`SshMasterPool`]; [`plan_console_route`] picks one from the
//! connection URI and the live domain XML). [`Session::start`] runs one tokio task per console
//! that paints a [`SharedFramebuffer`] and reports [`SessionEvent`]s; the UI sends input through
//! the [`SessionHandle`]. [`keys`] maps GDK key values and "Send Key" combinations.
//!
//! ```no_run
//! use hangar::vnc::{ConsoleTarget, Session, SessionEvent, SessionOptions};
//! # async fn console(runtime: tokio::runtime::Handle) {
//! let target = ConsoleTarget::Tcp { host: "kvm1.example.org".into(), port: 5900 };
//! let (handle, mut events) = Session::start(&runtime, target, SessionOptions::default());
//! while let Some(event) = events.recv().await {
//!     match event {
//!         // Once per frame-clock tick the widget takes what changed and uploads one texture.
//!         SessionEvent::Damaged => handle.framebuffer().take_frame(|fb, damage| {
//!             let _ = (fb.width(), fb.height(), fb.stride(), fb.bytes(), damage);
//!         }),
//!         SessionEvent::State(state) if state.is_final() => println!("{state}"),
//!         _ => {}
//!     }
//! }
//! # }
//! ```

pub mod clipboard;
pub mod error;
pub mod framebuffer;
pub mod keys;
pub mod session;
pub mod ssh;
pub mod target;
pub mod transport;

pub use error::{LimitViolation, SessionError};
pub use framebuffer::{DamageRect, Framebuffer, SharedFramebuffer};
pub use keys::{ButtonMask, SendKeyCombo, WheelDirection, gdk_keyval_to_keysym};
pub use session::{
    CursorImage, DisconnectReason, Encoding, InputError, Limits, PasswordFuture, PasswordProvider,
    Session, SessionEvent, SessionEvents, SessionHandle, SessionOptions, SessionState,
    SessionStats,
};
pub use ssh::{SshMasterPool, SshOptions};
pub use target::{
    ConsoleRoute, ConsoleTarget, GraphicsInfo, GraphicsListen, LibvirtUri, SshDestination,
    plan_console_route,
};
pub use transport::ConsoleIo;
