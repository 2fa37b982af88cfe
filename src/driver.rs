//! Async driver layer: libvirt connections, each on its own worker thread, with typed commands,
//! deadlines, lifecycle events and the domain XML model.

pub mod xml;
