//! Hangar's GTK-free core: the async libvirt driver layer, statistics, the VNC session and the
//! domain XML model. Nothing here links to GTK, so tests and benchmarks run without a display.

pub mod actions;
pub mod charts;
pub mod cli;
pub mod config;
pub mod console_model;
pub mod demo;
pub mod details;
pub mod driver;
pub mod fleet;
pub mod fleetgen;
pub mod heap;
pub mod i18n;
pub mod model;
pub mod perf;
pub mod renderer;
pub mod saved_connections;
pub mod secrets;
pub mod stats;
pub mod units;
pub mod uri;
pub mod vnc;
