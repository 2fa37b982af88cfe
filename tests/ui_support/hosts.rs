//! Test hosts whose state the test and the app share: each is a private libvirtd (see
//! `driver_support/daemon.rs`) serving `test:///default`, filled with machines the test defines.
//! (A `test:///file.xml` connection would be private to each process, so the test could not
//! check what the app did.)

#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use virt::connect::Connect;
use virt::domain::Domain;

#[path = "../driver_support/daemon.rs"]
mod daemon;

pub use daemon::{PrivateDaemon, tools_missing as daemon_tools_missing};

/// What a machine should be doing when the test starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Running,
    Paused,
    Off,
}

pub struct TestHost {
    pub daemon: PrivateDaemon,
    pub conn: Connect,
}

impl TestHost {
    /// A daemon whose test driver holds exactly `machines` (the driver's own "test" domain is
    /// removed so names are unique across hosts).
    pub fn start(tag: &str, machines: &[(&str, Start)]) -> Self {
        let daemon = PrivateDaemon::start(tag, None);
        let conn = Connect::open(Some(&daemon.uri())).expect("the private daemon answers");
        if let Ok(test) = conn.lookup_domain_by_name("test") {
            let _ = test.destroy();
            let _ = test.undefine();
        }
        for (name, start) in machines {
            let xml = format!(
                "<domain type='test'><name>{name}</name><memory unit='MiB'>512</memory>\
                 <vcpu>1</vcpu><os><type>hvm</type></os></domain>"
            );
            let domain = conn
                .define_domain_xml(&xml)
                .expect("the test driver defines it");
            match start {
                Start::Running => domain.create().unwrap(),
                Start::Paused => {
                    domain.create().unwrap();
                    domain.suspend().unwrap();
                }
                Start::Off => {}
            }
        }
        Self { daemon, conn }
    }

    pub fn uri(&self) -> String {
        self.daemon.uri()
    }

    /// Every machine's name and libvirt state, as libvirt reports it now.
    pub fn machines(&self) -> Vec<(String, u32)> {
        let mut list: Vec<(String, u32)> = self
            .conn
            .list_all_domains(0)
            .unwrap()
            .iter()
            .map(|domain| (domain.name().unwrap(), state(domain)))
            .collect();
        list.sort();
        list
    }

    /// One machine's libvirt state.
    pub fn state_of(&self, name: &str) -> u32 {
        self.conn
            .lookup_domain_by_name(name)
            .map(|domain| state(&domain))
            .unwrap_or(0)
    }
}

/// A TCP port that takes connections and closes them at once: libvirt fails to open it, in its
/// own words, as it would a host whose daemon drops every client. It counts the connections, so
/// a test can tell that Hangar tried again (a host that never connected is not retried on its
/// own, so every new connection is the user's doing). It listens on 127.0.0.2, so its row
/// ("127.0.0.2") is not mistaken for a refused `127.0.0.1` one.
pub struct HangingUpHost {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl HangingUpHost {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.2:0").expect("a free local port");
        let port = listener.local_addr().expect("a bound address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        // Lives until the test process ends, hanging up on whoever calls.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_ok() {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        Self { port, connections }
    }

    pub fn uri(&self) -> String {
        format!("qemu+tcp://127.0.0.2:{}/system", self.port)
    }

    /// How many connections it has taken (and hung up on).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn state(domain: &Domain) -> u32 {
    domain.state().map(|(state, _)| state.to_raw()).unwrap_or(0)
}

/// libvirt's `virDomainState` numbers used by the tests.
pub const RUNNING: u32 = 1;
pub const PAUSED: u32 = 3;
pub const SHUT_OFF: u32 = 5;
