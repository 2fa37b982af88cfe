//! Finding a console's display: the live domain XML's graphics, the route the planner picks
//! for the connection URI, and the socket or address the session opens — through
//! `virDomainOpenGraphicsFD` on local connections, TCP for `+tls`/`+tcp`, and the app's one
//! SSH master per host for `+ssh`.

use std::sync::OnceLock;

use hangar::console_model::Outcome;
use hangar::driver::{Connection, XmlFlags};
use hangar::model::DomainUuid;
use hangar::vnc::{
    ConsoleRoute, ConsoleTarget, GraphicsInfo, SessionError, SshMasterPool, SshOptions,
    plan_console_route,
};

/// What a console shows.
#[derive(Clone)]
pub enum ConsoleSource {
    /// A libvirt guest's first VNC display.
    Libvirt {
        connection: Connection,
        uuid: DomainUuid,
    },
    /// A VNC server at a fixed address (the benchmark's `HANGAR_BENCH_CONSOLE`).
    Direct { host: String, port: u16 },
}

/// The app's SSH masters: one pool, so one master connection per host for every console.
fn ssh_pool() -> Result<SshMasterPool, String> {
    static POOL: OnceLock<Result<SshMasterPool, String>> = OnceLock::new();
    POOL.get_or_init(|| SshMasterPool::new(SshOptions::default()).map_err(|e| e.to_string()))
        .clone()
}

/// Plans the route to the display and opens what the session needs. Runs on the consoles'
/// runtime (the driver's calls need tokio's timers).
pub async fn open_target(source: ConsoleSource) -> Result<ConsoleTarget, Outcome> {
    let (connection, uuid) = match source {
        ConsoleSource::Direct { host, port } => return Ok(ConsoleTarget::Tcp { host, port }),
        ConsoleSource::Libvirt { connection, uuid } => (connection, uuid),
    };
    let driver_error = |error: hangar::driver::DriverError| {
        if error.is_unsupported() {
            Outcome::Unsupported(error.to_string())
        } else {
            Outcome::Driver(error.to_string())
        }
    };
    let xml = connection
        .domain_xml(uuid, XmlFlags::default())
        .await
        .map_err(driver_error)?;
    let graphics = GraphicsInfo::from_domain_xml(&xml).map_err(Outcome::Error)?;
    match plan_console_route(connection.uri(), &graphics).map_err(Outcome::Error)? {
        ConsoleRoute::LibvirtFd { graphics_index } => connection
            .open_graphics_fd(uuid, graphics_index, false)
            .await
            .map(ConsoleTarget::Fd)
            .map_err(driver_error),
        ConsoleRoute::Tcp { host, port } => Ok(ConsoleTarget::Tcp { host, port }),
        ConsoleRoute::Ssh { via, host, port } => {
            let pool = ssh_pool().map_err(|detail| {
                Outcome::Error(SessionError::SshMaster {
                    host: via.to_string(),
                    detail,
                })
            })?;
            Ok(ConsoleTarget::Ssh {
                pool,
                via,
                host,
                port,
            })
        }
    }
}
